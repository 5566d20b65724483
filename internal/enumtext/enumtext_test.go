package enumtext

import (
	"strconv"
	"testing"
)

type color uint8

func (c color) String() string { return []string{"red", "green"}[c] }

func TestUnmarshal(t *testing.T) {
	var c color
	if err := Unmarshal(&c, []byte("green"), color(0), color(1)); err != nil || c != 1 {
		t.Errorf("Unmarshal(green) = %v, %v; want green", c, err)
	}
	err := Unmarshal(&c, []byte("blue"), color(0), color(1))
	if want := `invalid enumtext.color "blue": expected one of red, green`; err == nil || err.Error() != want {
		t.Errorf("Unmarshal(blue) error = %v, want %s", err, strconv.Quote(want))
	}
}
