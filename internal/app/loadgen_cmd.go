package app

import "fmt"

// runLoadgen is filled in by the load generator; see internal/loadgen.
func runLoadgen(e env, args []string) int {
	fmt.Fprintln(e.stderr, "switchboard loadgen: not built yet")
	return exitUsage
}
