package mockmodel

import (
	"net/http"
	"strconv"
)

// modelIDs are what GET /v1/models reports. Chat and embeddings requests
// accept any model name; these are only what a client discovering models
// sees.
var modelIDs = []string{"mock-chat", "mock-embedding"}

// modelCreated is a fixed creation time so the listing is deterministic.
const modelCreated = 1700000000

func models(w http.ResponseWriter) {
	b := append(make([]byte, 0, 256), `{"object":"list","data":[`...)
	for i, id := range modelIDs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendModel(b, id)
	}
	b = append(b, "]}"...)
	writeJSON(w, http.StatusOK, b)
}

func model(w http.ResponseWriter, id string) {
	writeJSON(w, http.StatusOK, appendModel(nil, id))
}

func appendModel(b []byte, id string) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, id)
	b = strconv.AppendInt(append(b, `,"object":"model","created":`...), modelCreated, 10)
	return append(b, `,"owned_by":"sluice"}`...)
}
