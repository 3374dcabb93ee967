// etcd for the integration harness. Built from source rather than taken from the distribution:
// Debian's etcd-server (3.4) is below the minimum Kubernetes 1.34 supports, and the release
// tarballs are not reachable from CI (only the Go module proxy is).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
