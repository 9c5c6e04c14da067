package sounds

import (
	"testing"

	"github.com/regul-sante/regul/testkit/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
