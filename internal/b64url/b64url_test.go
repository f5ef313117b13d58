package b64url

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

var std = base64.RawURLEncoding.Strict()

// reference is what the package promises to agree with: encoding/base64's
// strict decoder, and an encoding that is the canonical one of what it
// decodes to (encoding/base64 skips CR and LF even when strict).
func reference(src string) ([]byte, bool) {
	b, err := std.DecodeString(src)
	if err != nil || std.EncodeToString(b) != src {
		return nil, false
	}
	return b, true
}

func decode(src string) ([]byte, bool) {
	dst := make([]byte, DecodedLen(len(src)))
	n, ok := Decode(dst, src)
	return dst[:n], ok
}

func TestDecodeRoundTripsEveryLength(t *testing.T) {
	data := make([]byte, 300)
	for i := range data {
		data[i] = byte(i*151 + 7)
	}
	for n := range len(data) {
		src := std.EncodeToString(data[:n])
		if DecodedLen(len(src)) != n {
			t.Fatalf("DecodedLen(%d) = %d, want %d", len(src), DecodedLen(len(src)), n)
		}
		got, ok := decode(src)
		if !ok || !bytes.Equal(got, data[:n]) {
			t.Fatalf("length %d: Decode = %x, %v; want %x", n, got, ok, data[:n])
		}
	}
}

// TestDecodeRefusesOtherSpellings is each way a second spelling of one
// signed segment could be made (RFC 7515 §2, RFC 4648 §3.5), at every
// position of a long segment, so that both the 8-character loop and the
// tail see it.
func TestDecodeRefusesOtherSpellings(t *testing.T) {
	good := std.EncodeToString([]byte("a signed segment, long enough to cross several rounds of eight"))
	for _, bad := range []string{"=", "\n", "\r", " ", "+", "/", ".", "\x00", "\x80", "\xff"} {
		for i := 0; i <= len(good); i++ {
			for _, src := range []string{good[:i] + bad + good[i:], good[:i] + bad + good[min(i+1, len(good)):]} {
				if got, ok := decode(src); ok {
					t.Fatalf("Decode(%q) = %x: accepted a %q at %d", src, got, bad, i)
				}
			}
		}
	}
	for _, src := range []string{"A", "AAAAA", "QR", "QUF", "QUJDRB", "QUJDREF"} { // length 1 mod 4; spare bits set
		if _, ok := decode(src); ok {
			t.Errorf("Decode(%q) accepted", src)
		}
		if _, ok := reference(src); ok {
			t.Errorf("reference accepts %q: the test is wrong", src)
		}
	}
}

func TestDecodeNeedsRoom(t *testing.T) {
	if _, ok := Decode(make([]byte, 2), "QUJD"); ok {
		t.Fatal("Decode wrote 3 bytes into 2")
	}
}

func FuzzDecodeAgreesWithEncodingBase64(f *testing.F) {
	for _, s := range []string{"", "QQ", "QUI", "QUJD", "QUJDREVGR0g", "QR", "QUF", "A", "QU\nJD", "QUJD=", strings.Repeat("_-", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		want, wantOK := reference(src)
		got, ok := decode(src)
		if ok != wantOK || ok && !bytes.Equal(got, want) {
			t.Fatalf("Decode(%q) = %x, %v; encoding/base64: %x, %v", src, got, ok, want, wantOK)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	sig := std.EncodeToString(bytes.Repeat([]byte{0xa5, 0x3c, 0x99}, 86)[:256]) // an RS256 signature
	dst := make([]byte, 256)
	b.Run("b64url", func(b *testing.B) {
		b.SetBytes(int64(len(sig)))
		for b.Loop() {
			if _, ok := Decode(dst, sig); !ok {
				b.Fatal("refused")
			}
		}
	})
	b.Run("encoding-base64", func(b *testing.B) {
		b.SetBytes(int64(len(sig)))
		src := []byte(sig)
		for b.Loop() {
			if _, err := std.Decode(dst, src); err != nil {
				b.Fatal(err)
			}
		}
	})
}
