package app

// runtimeGauges are the Go runtime's figures serve exposes on /metrics
// (name, then the runtime/metrics key): what the process holds beyond its
// RSS, e.g. per console socket (deploy/bench/console.sh reads them).
var runtimeGauges = [][2]string{
	{"switchboard_go_heap_objects_bytes", "/memory/classes/heap/objects:bytes"},
	{"switchboard_go_stacks_bytes", "/memory/classes/heap/stacks:bytes"},
	{"switchboard_go_goroutines", "/sched/goroutines:goroutines"},
}
