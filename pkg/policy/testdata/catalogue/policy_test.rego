# Tests are not loaded by the engine: this one would not compile strictly.
package sluice_test

test_unused if {
	x := 1
	true
}
