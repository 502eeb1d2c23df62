package envoystandin

import (
	"net/http"

	"google.golang.org/protobuf/types/known/structpb"
)

// RequestRecord is what the stand-in did with one request, for tests and
// for `sluice dev` to show.
type RequestRecord struct {
	// RequestID is the x-request-id Envoy would have generated or kept.
	RequestID string
	// Route is the name of the final route; empty when none matched.
	Route string
	// Cluster is where the last attempt went (for an aggregate cluster, the
	// member); empty when the request was not sent.
	Cluster string
	// Status is the status sent downstream; 0 when the stream was reset.
	Status int
	// LocalReply says why the stand-in answered itself (Envoy's response
	// code details, such as ext_proc_error_per-message_timeout_exceeded or
	// direct_response); empty when the upstream answered.
	LocalReply string
	// Reset is true when the downstream stream was reset instead of answered.
	Reset bool
	// Upstream is the request as last sent to a cluster, nil if none was sent.
	Upstream *UpstreamRequest
	// Attempts are the router's tries, in order: one, or more when the
	// route's retry_policy retried (for an aggregate cluster with
	// previous_priorities, attempt i goes to member i).
	Attempts []AttemptRecord
	// DynamicMetadata is the stream's final dynamic metadata by namespace:
	// what DownstreamInfo supplied plus what ext_proc was allowed to write.
	DynamicMetadata map[string]*structpb.Struct
	Counters        Counters
}

// AttemptRecord is one try of the router at a cluster.
type AttemptRecord struct {
	// Cluster is the cluster tried; for an aggregate cluster, the member.
	Cluster string
	// Status is the response status as the router saw it, after the
	// cluster's upstream filters; 0 when there was none.
	Status int
	// Failure says why there was no response: connection_failure, reset or
	// per_try_timeout. Empty when there was one, or when an upstream filter
	// ended the request.
	Failure string
	// Upstream is the request as sent to the cluster; nil when it was not
	// sent (the upstream filters ended the request first).
	Upstream *UpstreamRequest
	// Counters are those of the cluster's upstream ext_proc filter.
	Counters Counters
}

// UpstreamRequest is a request exactly as forwarded to a cluster.
type UpstreamRequest struct {
	Method, Path, Authority, Scheme string
	Header                          http.Header
}

// Counters mirror the ext_proc filter's stats for one request.
type Counters struct {
	MessagesSent                  int
	MessagesReceived              int
	RejectedHeaderMutations       int
	SpuriousMessages              int
	MessageTimeouts               int
	FailureModeAllowed            int
	StreamsClosed                 int
	ClearRouteCacheIgnored        int
	OverrideMessageTimeoutIgnored int
	ModeOverrideRejected          int
}
