// Command campaignwall collects what people post about a campaign, lets
// moderators approve it, shows approved posts live on a wall for event screens,
// and runs a bot that amplifies them. `campaignwall help` lists the commands.
//
// main only hands over to run; app.go wires the daemon (store → collectors →
// scheduler → HTTP) and stops it in reverse.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // the bot's and supporters' time zones load on any machine
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := environment{
		stdin:  os.Stdin,
		stdout: os.Stdout,
		stderr: os.Stderr,
		lookup: os.LookupEnv,
	}
	if err := run(ctx, os.Args[1:], env); err != nil {
		fmt.Fprintln(os.Stderr, "campaignwall:", err)
		os.Exit(1)
	}
}

// environment is everything run needs from the process, so tests can run
// commands in-process with their own input and output.
type environment struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	lookup         func(string) (string, bool)
	ready          func(addr string) // called once the server listens (tests)
}
