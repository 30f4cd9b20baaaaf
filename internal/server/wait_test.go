package server_test

import "time"

// waitABit paces polling loops in tests that wait for background workers.
func waitABit() { time.Sleep(50 * time.Millisecond) }
