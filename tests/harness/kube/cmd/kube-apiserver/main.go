// kube-apiserver for the integration harness, built from the k8s.io/kubernetes module because
// `go install k8s.io/kubernetes/cmd/kube-apiserver@…` is refused (the module has replace
// directives). Same body as upstream cmd/kube-apiserver/apiserver.go.
package main

import (
	"os"
	_ "time/tzdata" // upstream embeds it for CronJob time zones; CGO_ENABLED=0 binaries need it too

	"k8s.io/component-base/cli"
	_ "k8s.io/component-base/logs/json/register"          // keeps --logging-format=json available
	_ "k8s.io/component-base/metrics/prometheus/clientgo" // same /metrics as a released binary
	_ "k8s.io/component-base/metrics/prometheus/version"
	"k8s.io/kubernetes/cmd/kube-apiserver/app"
)

func main() {
	os.Exit(cli.Run(app.NewAPIServerCommand()))
}
