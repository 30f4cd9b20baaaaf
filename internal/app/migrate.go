package app

import (
	"flag"
	"fmt"
	"strconv"

	"switchboard/internal/storage"
)

func runMigrate(e env, args []string) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `Usage:
  switchboard migrate up         apply every pending migration
  switchboard migrate down N     roll back the last N migrations
  switchboard migrate version    print the applied version

Connects with DATABASE_URL as the schema owner.`)
	}
	if err := fs.Parse(args); err != nil {
		return flagStatus(err)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		fs.Usage()
		return exitUsage
	}
	steps := 0
	switch rest[0] {
	case "up", "version":
		if len(rest) != 1 {
			fmt.Fprintf(e.stderr, "switchboard migrate %s: takes no arguments\n", rest[0])
			return exitUsage
		}
	case "down":
		n, err := strconv.Atoi(argAt(rest, 1))
		if len(rest) != 2 || err != nil || n < 1 {
			fmt.Fprintln(e.stderr, "switchboard migrate down: needs a positive number of steps, e.g. `migrate down 1`")
			return exitUsage
		}
		steps = n
	default:
		fmt.Fprintf(e.stderr, "switchboard migrate: unknown action %q (up, down N, version)\n", rest[0])
		return exitUsage
	}
	cfg, ok := loadConfig(e)
	if !ok {
		return exitUsage
	}
	m, err := storage.NewMigrator(cfg.DatabaseURL)
	if err != nil {
		fmt.Fprintln(e.stderr, "switchboard migrate:", err)
		return exitError
	}
	defer m.Close()
	switch rest[0] {
	case "up":
		err = m.Up()
	case "down":
		err = m.Down(steps)
	}
	if err != nil {
		fmt.Fprintln(e.stderr, "switchboard migrate:", err)
		return exitError
	}
	v, dirty, err := m.Version()
	if err != nil {
		fmt.Fprintln(e.stderr, "switchboard migrate:", err)
		return exitError
	}
	if dirty {
		fmt.Fprintf(e.stdout, "version %d (dirty: a migration failed; fix it, then see docs/operations.md)\n", v)
		return exitError
	}
	fmt.Fprintf(e.stdout, "version %d\n", v)
	return exitOK
}

func argAt(args []string, i int) string {
	if i < len(args) {
		return args[i]
	}
	return ""
}
