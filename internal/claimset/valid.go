package claimset

import (
	"fmt"
	"math/bits"
)

// The walk over a claim set validates as it goes, so that a payload is
// read once: every value is checked against the JSON grammar (RFC 8259
// §§3–7) while its extent is found. It accepts exactly what
// encoding/json's Valid accepts (FuzzValidWalkAgreesWithEncodingJSON):
// bytes of 0x80 and above pass unchecked inside strings, as there, and
// nesting deeper than encoding/json's limit of 10,000 is refused.

// maxNesting is encoding/json's nesting limit, the top-level object
// included.
const maxNesting = 10000

// validWalk calls fn with the name and raw value of each member of the
// JSON object data, in order, and fails, before or while calling fn, when
// data is not one valid JSON object (with white space around it). plain
// reports a value that is a string with neither escapes nor bytes of 0x80
// and above: its text is the bytes between its quotes. Time and memory are
// linear in len(data), whatever its nesting: containers are tracked in a
// fixed bit set, not by recursion.
func validWalk(data string, fn func(name, value string, plain bool) error) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return malformed("not a JSON object")
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return trailing(data, i+1)
	}
	for {
		nameStart := i
		var ok, plain bool
		if i, plain, ok = scanString(data, i); !ok {
			return invalidAt(i)
		}
		rawName := data[nameStart:i]
		if i = skipSpace(data, i); i >= len(data) || data[i] != ':' {
			return invalidAt(i)
		}
		i = skipSpace(data, i+1)
		end, plainValue, ok := scanValue(data, i, maxNesting-1)
		if !ok {
			return invalidAt(end)
		}
		name := rawName[1 : len(rawName)-1]
		if !plain {
			var err error
			if name, err = unquote(rawName); err != nil {
				return invalidAt(nameStart)
			}
		}
		if err := fn(name, data[i:end], plainValue); err != nil {
			return err
		}
		switch i = skipSpace(data, end); {
		case i < len(data) && data[i] == ',':
			i = skipSpace(data, i+1)
		case i < len(data) && data[i] == '}':
			return trailing(data, i+1)
		default:
			return invalidAt(i)
		}
	}
}

func malformed(why string) error {
	return fmt.Errorf("%w: %s", ErrMalformed, why)
}

// invalidAt says where the JSON stopped being valid: the byte offset,
// never the bytes, which are claims.
func invalidAt(i int) error {
	return fmt.Errorf("%w: not valid JSON (at byte %d)", ErrMalformed, i)
}

// trailing fails unless only white space follows data[i:].
func trailing(data string, i int) error {
	if j := skipSpace(data, i); j != len(data) {
		return invalidAt(j)
	}
	return nil
}

// scanValue returns the index just past the JSON value that starts at
// data[i], and whether it is valid, with at most depth levels of arrays
// and objects in it; plain as scanString's, for a string.
func scanValue(data string, i, depth int) (end int, plain, ok bool) {
	if i < len(data) && data[i] == '"' { // most claims: no container to track
		return scanString(data, i)
	}
	end, ok = scanContainer(data, i, depth)
	return end, false, ok
}

// scanContainer is scanValue of any value.
func scanContainer(data string, i, depth int) (int, bool) {
	// objects has bit d set when the container at level d is an object:
	// 256 levels on the stack, and room for more made as they come.
	var small [4]uint64
	objects := small[:]
	level := 0 // containers open
	for {
		// A value starts at i.
		if i >= len(data) {
			return i, false
		}
		var ok bool
		switch c := data[i]; {
		case c == '{' || c == '[':
			if level == depth {
				return i, false
			}
			if level/64 == len(objects) {
				objects = append(objects, make([]uint64, len(objects))...)
			}
			if c == '{' {
				objects[level/64] |= 1 << (level % 64)
			} else {
				objects[level/64] &^= 1 << (level % 64)
			}
			level++
			i = skipSpace(data, i+1)
			if i < len(data) && (c == '{' && data[i] == '}' || c == '[' && data[i] == ']') {
				i++
				level--
				break // an empty container is a whole value
			}
			if c == '{' {
				if i, ok = scanKey(data, i); !ok {
					return i, false
				}
			}
			continue // its first value
		case c == '"':
			if i, _, ok = scanString(data, i); !ok {
				return i, false
			}
		case c == '-' || c >= '0' && c <= '9':
			if i, ok = scanNumber(data, i); !ok {
				return i, false
			}
		case c == 't':
			if i, ok = literal(data, i, "true"); !ok {
				return i, false
			}
		case c == 'f':
			if i, ok = literal(data, i, "false"); !ok {
				return i, false
			}
		case c == 'n':
			if i, ok = literal(data, i, "null"); !ok {
				return i, false
			}
		default:
			return i, false
		}
		// A value ended at i: close the containers it ends, or go on to
		// the next value of the innermost.
		for next := false; !next; {
			if level == 0 {
				return i, true
			}
			if i = skipSpace(data, i); i >= len(data) {
				return i, false
			}
			object := objects[(level-1)/64]&(1<<((level-1)%64)) != 0
			switch data[i] {
			case ',':
				i = skipSpace(data, i+1)
				if object {
					if i, ok = scanKey(data, i); !ok {
						return i, false
					}
				}
				next = true
			case '}', ']':
				if object != (data[i] == '}') {
					return i, false
				}
				i++
				level--
			default:
				return i, false
			}
		}
	}
}

// scanKey reads a member name and its colon at data[i], and returns the
// index of the value after them.
func scanKey(data string, i int) (int, bool) {
	i, _, ok := scanString(data, i)
	if !ok {
		return i, false
	}
	if i = skipSpace(data, i); i >= len(data) || data[i] != ':' {
		return i, false
	}
	return skipSpace(data, i+1), true
}

// Classes of a byte inside a JSON string, for scanString and unquote.
const (
	plainByte   = iota // printable ASCII but '"' and '\\'
	quoteByte          // '"'
	escapeByte         // '\\'
	controlByte        // below 0x20: not allowed unescaped (RFC 8259 §7)
	highByte           // 0x80 and above: part of a UTF-8 sequence, or invalid
)

var stringClass = func() (t [256]uint8) {
	for c := range t {
		switch {
		case c == '"':
			t[c] = quoteByte
		case c == '\\':
			t[c] = escapeByte
		case c < 0x20:
			t[c] = controlByte
		case c >= 0x80:
			t[c] = highByte
		}
	}
	return t
}()

// scanString returns the index just past the JSON string at data[i], and
// whether it is one: no control characters, and only the escapes of
// RFC 8259 §7. plain reports that it has neither escapes nor bytes of
// 0x80 and above, so that its text is the bytes between its quotes.
func scanString(data string, i int) (end int, plain, ok bool) {
	if i >= len(data) || data[i] != '"' {
		return i, false, false
	}
	plain = true
	for i++; ; i++ {
		// skipPlain, by hand: the call costs more than most strings.
		for ; i+8 <= len(data); i += 8 {
			if m := notPlain(load64(data, i)); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
		}
		for i < len(data) && stringClass[data[i]] == plainByte {
			i++
		}
		if i >= len(data) {
			return i, false, false
		}
	special:
		switch stringClass[data[i]] {
		case quoteByte:
			return i + 1, plain, true
		case controlByte:
			return i, false, false
		case highByte:
			plain = false
		case escapeByte:
			plain = false
			if i++; i >= len(data) {
				return i, false, false
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if i+4 >= len(data) || !isHex(data[i+1]) || !isHex(data[i+2]) || !isHex(data[i+3]) || !isHex(data[i+4]) {
					return i, false, false
				}
				i += 4
			default:
				return i, false, false
			}
		}
	}
}

// skipPlain returns the index of the first byte at or after data[i] that
// is not a plainByte, or len(data). It reads eight bytes at a time while
// it can: most claim strings are URLs, identifiers and scope lists of
// plain ASCII.
func skipPlain(data string, i int) int {
	for ; i+8 <= len(data); i += 8 {
		if m := notPlain(load64(data, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(data) && stringClass[data[i]] == plainByte {
		i++
	}
	return i
}

// load64 is data[i:i+8] as a little-endian word: data[i] is its low byte.
// (The compiler makes it one load where the machine has one.)
func load64(data string, i int) uint64 {
	b := data[i : i+8]
	return uint64(b[0]) | uint64(b[1])<<8 | uint64(b[2])<<16 | uint64(b[3])<<24 |
		uint64(b[4])<<32 | uint64(b[5])<<40 | uint64(b[6])<<48 | uint64(b[7])<<56
}

const (
	ones  = 0x0101010101010101 // 0x01 in every byte
	highs = 0x8080808080808080 // 0x80 in every byte
)

// notPlain returns x's high bits of the bytes that are not plainByte: a
// '"' or '\\', below 0x20, or 0x80 and above. The lowest bit set is exact,
// so it names the first such byte; bits above it may be set for plain
// bytes (a borrow carries up from the byte that sets it), and are not
// used.
func notPlain(x uint64) uint64 {
	q := x ^ ('"' * ones)  // a zero byte where x has '"'
	e := x ^ ('\\' * ones) // and where it has '\\'
	return ((q-ones)&^q | (e-ones)&^e | (x - 0x20*ones) | x) & highs
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanNumber returns the index just past the JSON number at data[i]
// (RFC 8259 §6): an optional minus, an integer part without leading
// zeros, an optional fraction and an optional exponent.
func scanNumber(data string, i int) (int, bool) {
	if data[i] == '-' {
		i++
	}
	switch {
	case i < len(data) && data[i] == '0':
		i++
	case i < len(data) && data[i] >= '1' && data[i] <= '9':
		i = digits(data, i)
	default:
		return i, false
	}
	if i < len(data) && data[i] == '.' {
		j := digits(data, i+1)
		if j == i+1 {
			return j, false
		}
		i = j
	}
	if i < len(data) && (data[i] == 'e' || data[i] == 'E') {
		i++
		if i < len(data) && (data[i] == '+' || data[i] == '-') {
			i++
		}
		j := digits(data, i)
		if j == i {
			return j, false
		}
		i = j
	}
	return i, true
}

func digits(data string, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

// literal reads the literal word at data[i].
func literal(data string, i int, word string) (int, bool) {
	if len(data)-i < len(word) || data[i:i+len(word)] != word {
		return i, false
	}
	return i + len(word), true
}
