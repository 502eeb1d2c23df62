package lib

backend_for(model) := data.sluice.models[model].backend
