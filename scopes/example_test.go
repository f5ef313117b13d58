package scopes_test

import (
	"errors"
	"fmt"

	"github.com/tokengate/tokengate/scopes"
)

func ExampleRequirement_Check() {
	// A route that reads orders, for support staff or admins.
	req := scopes.AllOf(scopes.All("orders:read"), scopes.Any("support", "admin"))

	granted := scopes.Parse("openid orders:read")
	err := req.Check(granted)

	var ise *scopes.InsufficientScopeError
	if errors.As(err, &ise) {
		fmt.Println("missing:", ise.Missing)
		fmt.Println("required:", ise.Required)
	}
	// Output:
	// missing: [support admin]
	// required: [orders:read support admin]
}
