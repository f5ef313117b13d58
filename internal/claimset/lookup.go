package claimset

// Lookup returns the raw JSON value of the member at path in the JSON
// object data: path[0] a member of data, path[1] a member of that, and so
// on. Names match exactly (RFC 7519 §4); when a name repeats, the last
// occurrence wins, as in [Parse]. found is false when a member is absent
// or a step is not an object. The value is a substring of data's copy and
// is not validated beyond data's own validity.
func Lookup(data []byte, path ...string) (raw string, found bool, err error) {
	cur := data
	for i, name := range path {
		raw, found = "", false
		err := Members(cur, func(n, v string) error {
			if n == name {
				raw, found = v, true
			}
			return nil
		})
		if err != nil || !found {
			return "", false, err
		}
		if i < len(path)-1 {
			if raw[0] != '{' {
				return "", false, nil
			}
			cur = []byte(raw)
		}
	}
	return raw, found, nil
}

// Strings returns the strings a claim value holds: the elements of an
// array of strings (other elements skipped), the member names of an
// object, or a string itself; nil for anything else.
func Strings(raw string) []string {
	switch {
	case raw == "":
		return nil
	case raw[0] == '"':
		s, err := unquote(raw)
		if err != nil {
			return nil
		}
		return []string{s}
	case raw[0] == '{':
		var names []string
		_ = Members([]byte(raw), func(n, _ string) error {
			names = append(names, n)
			return nil
		})
		return names
	case raw[0] != '[':
		return nil
	}
	var list []string
	for i := skipSpace(raw, 1); i < len(raw) && raw[i] != ']'; {
		end, _, ok := scanValue(raw, i, maxNesting)
		if !ok {
			return list // raw is not one valid JSON value: what was read before
		}
		if raw[i] == '"' {
			if s, err := unquote(raw[i:end]); err == nil {
				list = append(list, s)
			}
		}
		if i = skipSpace(raw, end); i < len(raw) && raw[i] == ',' {
			i = skipSpace(raw, i+1)
		}
	}
	return list
}
