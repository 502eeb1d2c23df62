package sluice.catalogue_test

import data.sluice.catalogue
import data.sluice.fixtures

test_labels_merge_backend_and_model if {
	catalogue.labels("gpt-4o-eu") == {"region": "eu", "cost": "high"} with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
}

test_region_and_pii_safety_come_from_the_backend if {
	models := object.union(fixtures.models, {"gpt-4o": {"labels": {"region": "eu", "pii_safe": "true"}}})
	catalogue.region("gpt-4o") == "us" with data.sluice.models as models
		with data.sluice.backends as fixtures.backends
	not catalogue.pii_safe("gpt-4o") with data.sluice.models as models
		with data.sluice.backends as fixtures.backends
	catalogue.pii_safe("llama-house") with data.sluice.models as models
		with data.sluice.backends as fixtures.backends
}

test_mock_is_the_mock_backend if {
	catalogue.mock("mock-gpt") with data.sluice.models as fixtures.models
	not catalogue.mock("gpt-4o") with data.sluice.models as fixtures.models
}

test_listed_by_name_or_alias if {
	catalogue.listed("gpt-4o-mini", ["mini"]) with data.sluice.models as fixtures.models
	catalogue.listed("gpt-4o-mini", ["gpt-4o-mini"]) with data.sluice.models as fixtures.models
	not catalogue.listed("gpt-4o", ["mini"]) with data.sluice.models as fixtures.models
}

test_unknown_model if {
	not catalogue.exists("gpt-5") with data.sluice.models as fixtures.models
	catalogue.backend("gpt-5") == "" with data.sluice.models as fixtures.models
	catalogue.labels("gpt-5") == {} with data.sluice.models as fixtures.models
		with data.sluice.backends as fixtures.backends
}

test_missing_or_malformed_catalogue_is_empty if {
	catalogue.models == {} with data.sluice.models as []
	catalogue.backends == {} with data.sluice.backends as "x"
	catalogue.tenants == {} with data.sluice.tenants as 3
}

test_null_labels_read_as_empty if {
	catalogue.labels("a") == {} with data.sluice.models as {"a": {"backend": "b", "labels": null}}
		with data.sluice.backends as {"b": {"labels": null}}
}
