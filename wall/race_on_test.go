//go:build race

package wall

// raceEnabled: the race detector roughly doubles stack and heap use, so
// memory budgets in tests are scaled for it.
const raceEnabled = true
