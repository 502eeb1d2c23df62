package sluice

decision := {"allow": true, "limit_class": "v2"}
