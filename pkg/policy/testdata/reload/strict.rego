# Compiles leniently, but strict mode refuses the unused variable.
package sluice

decision := {"allow": true} if {
	unused := input.request.model
	true
}
