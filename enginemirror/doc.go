// Package enginemirror makes the container engines on this machine pull
// through esbtui's pull-through caches without any image name changing:
// Docker's registry-mirrors (daemon.json, reloaded with SIGHUP), containerd's
// certs.d/<upstream>/hosts.toml and podman/buildah's registries.conf.d.
//
// Like package trust (whose Plan, Step and Execute it uses), a store only
// reads: Plan returns the exact files and commands, and trust.Execute runs
// that plan and nothing else. Undo removes only what esbtui wrote: Docker's
// daemon.json gets back the exact bytes it had before (the record in
// ESB_HOME keeps them), or, when someone edited it since, loses only the
// entries esbtui added.
package enginemirror
