package sounds

import (
	"testing"

	"github.com/regul-sante/regul/internal/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }
