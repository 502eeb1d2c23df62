package sluice

decision := {"allow": true,
