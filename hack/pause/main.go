// Command pause is the pod sandbox process for the local cluster, which has no registry to pull
// the upstream pause image from. It holds the pod's namespaces open until asked to stop.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	// SIG_IGN for SIGCHLD makes the kernel reap exited children at once, so orphans
	// re-parented to this PID 1 never linger as zombies.
	signal.Ignore(syscall.SIGCHLD)

	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGINT, syscall.SIGTERM)
	<-stop
}
