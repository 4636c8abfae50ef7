# shellcheck shell=bash
# Shared by the benchmark scripts. Sourced, never executed.

# The host object every result document carries (results/schema/result-v2.md,
# "host"): uname, /proc/version and, in the lab, how its machine was made.
bench_host_json() {
	local machine=${P2PB_LAB_MACHINE:-}
	[ -r "$machine" ] || machine=/dev/null
	jq -n --arg kernel "$(uname -r)" --arg machine "$(uname -m)" --arg name "$(uname -n)" \
		--arg version "$(head -n1 /proc/version)" --argjson lab "$([ -n "${P2PB_LAB:-}" ] && echo true || echo false)" \
		--slurpfile lab_machine "$machine" \
		'{kernel: $kernel, machine: $machine, name: $name, lab: $lab, kernel_version: $version}
		 + (if ($lab_machine | length) > 0 then {kernel_build: $lab_machine[0].kernel, emulator: $lab_machine[0].emulator}
		    else {} end)'
}
