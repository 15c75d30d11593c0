package entryends

import "testing"

func TestCheck(t *testing.T) {
	p := []byte("ab\ncd\n")
	for _, tt := range []struct {
		name string
		p    []byte
		ends []int
		max  int
		ok   bool
	}{
		{"two entries", p, []int{3, 6}, 0, true},
		{"nothing at all", nil, nil, 0, true},
		{"bytes without an end", p, nil, 0, false},
		{"an empty entry", p, []int{3, 3, 6}, 0, false},
		{"an empty first entry", p, []int{0, 6}, 0, false},
		{"ends going back", p, []int{6, 3}, 0, false},
		{"last end short of the batch", p, []int{3}, 0, false},
		{"last end past the batch", p, []int{3, 7}, 0, false},
		{"an entry over the maximum", p, []int{3, 6}, 2, false},
		{"entries at the maximum", p, []int{3, 6}, 3, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := Check(tt.p, tt.ends, tt.max)
			if (err == nil) != tt.ok {
				t.Fatalf("Check(%q, %v, %d) = %v, want ok=%t", tt.p, tt.ends, tt.max, err, tt.ok)
			}
		})
	}
}
