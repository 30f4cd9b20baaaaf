package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// Error is a Graph API error answer (contract §5.1):
//
//	{"error": {"message": "(#130429) Rate limit hit", "type": "OAuthException",
//	 "code": 130429, "error_data": {"messaging_product": "whatsapp",
//	 "details": "Cloud API message throughput has been reached."},
//	 "error_subcode": 2494055, "fbtrace_id": "Az8or2yhqkZfEZ-_4Qn_Bam"}}
//
// Meta says to key error handling on Code, not on HTTPStatus or Subcode. An
// answer that is not Graph's JSON (a proxy's 502 page) has Code 0 and the
// start of the body in Message.
type Error struct {
	HTTPStatus int
	Code       int
	Subcode    int    // deprecated by Meta since v16.0 but still seen
	Type       string // OAuthException, GraphMethodException, …
	Title      string // Message without its "(#code) " prefix
	Message    string // as sent: "(#code) title"
	Details    string // error_data.details: what precisely went wrong
	// UserTitle and UserMessage are Graph's optional human-readable texts
	// (error_user_title, error_user_msg), set mostly on template creation.
	UserTitle   string
	UserMessage string
	Transient   bool // Graph's optional is_transient hint
	FBTraceID   string
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "graph: HTTP %d", e.HTTPStatus)
	if e.Code != 0 {
		fmt.Fprintf(&b, ", code %d", e.Code)
	}
	if e.Subcode != 0 {
		fmt.Fprintf(&b, " (subcode %d)", e.Subcode)
	}
	if e.Title != "" {
		b.WriteString(": " + e.Title)
	}
	if e.Details != "" && e.Details != e.Title {
		b.WriteString(": " + e.Details)
	}
	if e.FBTraceID != "" {
		b.WriteString(" [fbtrace_id " + e.FBTraceID + "]")
	}
	return b.String()
}

// Codes the Cloud API returns (contract §5.2, whose descriptions are Meta's).
// The outbox and template code compare (*Error).Code with these.
const (
	CodeAPIUnknown             = 1       // Graph: "An unknown error occurred" (possibly temporary)
	CodeAPIService             = 2       // Graph: temporary service issue
	CodeAPIMethod              = 3       // capability or permissions issue
	CodeAppRateLimit           = 4       // the app reached its API call rate limit
	CodePermissionDenied       = 10      // permission denied
	CodeInvalidParameter       = 100     // invalid, unsupported or misspelled parameter; unknown object id
	CodeAccessToken            = 190     // access token expired or invalid
	CodeInvalidPhone           = 192     // invalid phone number (older template reference)
	CodePolicyRestricted       = 368     // WABA restricted or disabled for policy violation
	CodeWABARateLimit          = 80007   // the WABA reached its Graph rate limit (§8.5)
	CodeTemplateRateLimit      = 80008   // too many calls to this WABA (older template reference)
	CodeThroughput             = 130429  // Cloud API message throughput reached (§8.3)
	CodeExperiment             = 130472  // the user's number is part of an experiment
	CodeUnknown                = 131000  // "Something went wrong"
	CodeAccessDenied           = 131005  // access denied
	CodeMissingParameter       = 131008  // required parameter missing
	CodeInvalidValue           = 131009  // parameter value not valid (also: unknown wamid to mark read)
	CodeServiceUnavailable     = 131016  // service temporarily unavailable
	CodeSameSenderRecipient    = 131021  // sender and recipient are the same number
	CodeUndeliverable          = 131026  // not a WhatsApp number, ToS not accepted, old client…
	CodeAccountLocked          = 131031  // business account locked
	CodePaymentMethod          = 131042  // payment method problem
	CodeRegistration           = 131045  // phone number registration error
	CodeReengagement           = 131047  // more than 24 hours since the customer last wrote (§8.1)
	CodeSpamRateLimit          = 131048  // spam rate limit: too many messages blocked or flagged
	CodeEcosystem              = 131049  // not delivered to keep ecosystem engagement healthy
	CodeMarketingOptOut        = 131050  // the user stopped marketing messages
	CodeUnsupportedType        = 131051  // unsupported message type
	CodeMediaDownload          = 131052  // unable to download the user's media
	CodeMediaUpload            = 131053  // unable to upload the media of the message (often a MIME mismatch)
	CodePairRateLimit          = 131056  // (business, consumer) pair rate limit hit (§8.4)
	CodeMaintenance            = 131057  // account in maintenance mode (throughput upgrade, §8.3)
	CodeTemplateClassification = 131064  // messaging limited for template classification violations
	CodeTemplateParamCount     = 132000  // template parameter count mismatch
	CodeTemplateMissing        = 132001  // template missing in that language, or not approved
	CodeTemplateTextTooLong    = 132005  // translated text too long
	CodeTemplatePolicy         = 132007  // template content violates policy
	CodeTemplateParamFormat    = 132012  // parameter format does not match the template
	CodeTemplatePaused         = 132015  // template paused for low quality
	CodeTemplateDisabled       = 132016  // template disabled for low quality
	CodeTemplateParamText      = 132018  // parameter text has new-lines, tabs or >4 spaces
	CodeRegisterRateLimit      = 133016  // register/deregister rate limit
	CodeTemplateLimit          = 2388019 // template limit of the WABA reached (§7.5)
)

// Classification of codes. A switch rather than a map keeps the package free
// of mutable globals.
//
// Retryable (the same request may succeed later; back off first):
//
//	1       unknown Graph error, "possibly temporary" (Graph, not in the contract)
//	2       temporary service issue (Graph, not in the contract)
//	4       app-level Graph rate limit
//	80007   WABA Graph rate limit (§8.5)
//	80008   WABA rate limit, older template reference
//	130429  message throughput reached (80 mps per number by default, §8.3)
//	131000  "Something went wrong": Meta's unknown error
//	131016  service temporarily unavailable
//	131056  pair rate limit: 1 message per 6 s to the same user, bursts borrow (§8.4)
//	131057  maintenance mode while throughput is upgraded (up to a minute)
//	133016  register/deregister rate limit
//
// Permanent (resending the same request cannot succeed; fix or give up):
//
//	0, 3, 10, 200–299  authentication or permission problems
//	100     invalid parameter or unknown object
//	190     access token expired or invalid (IsTokenInvalid)
//	192     invalid phone number
//	368     WABA restricted for policy violation
//	130472  the user is part of an experiment
//	131005  access denied
//	131008  required parameter missing
//	131009  parameter value not valid
//	131021  sender and recipient are the same
//	131026  undeliverable (not on WhatsApp, ToS, old client)
//	131031  account locked
//	131042  payment method problem
//	131045  phone number registration error
//	131047  24-hour window closed: only a template can reach the user
//	131048  spam rate limit: retrying makes the number's standing worse
//	131049  ecosystem limit: Meta says not to retry soon (think 24 h)
//	131050  user stopped marketing messages
//	131051  unsupported message type
//	131052  the user's media could not be downloaded
//	131053  media of the message could not be uploaded (type or size)
//	131064  messaging limited for template classification violations
//	132000  template parameter count mismatch
//	132001  template missing in that language or not approved
//	132005  translated text too long
//	132007  template content violates policy
//	132012  parameter format mismatch
//	132015  template paused
//	132016  template disabled
//	132018  parameter text has new-lines, tabs or too many spaces
//	200002, 2388000–2388999  template creation errors
//
// Any other code is decided by the HTTP status: 5xx and 429 are retryable,
// the rest permanent, unless Graph flags the error is_transient.
func codeClass(code int) (retryable, known bool) {
	switch code {
	case CodeAPIUnknown, CodeAPIService, CodeAppRateLimit, CodeWABARateLimit, CodeTemplateRateLimit,
		CodeThroughput, CodeUnknown, CodeServiceUnavailable, CodePairRateLimit, CodeMaintenance,
		CodeRegisterRateLimit:
		return true, true
	case CodeAPIMethod, CodePermissionDenied, CodeInvalidParameter, CodeAccessToken, CodeInvalidPhone,
		CodePolicyRestricted, CodeExperiment, CodeAccessDenied, CodeMissingParameter, CodeInvalidValue,
		CodeSameSenderRecipient, CodeUndeliverable, CodeAccountLocked, CodePaymentMethod, CodeRegistration,
		CodeReengagement, CodeSpamRateLimit, CodeEcosystem, CodeMarketingOptOut, CodeUnsupportedType,
		CodeMediaDownload, CodeMediaUpload, CodeTemplateClassification, CodeTemplateParamCount,
		CodeTemplateMissing, CodeTemplateTextTooLong, CodeTemplatePolicy, CodeTemplateParamFormat,
		CodeTemplatePaused, CodeTemplateDisabled, CodeTemplateParamText, 200002:
		return false, true
	}
	if (code >= 200 && code <= 299) || (code >= 2388000 && code <= 2388999) {
		return false, true
	}
	return false, false
}

// Retryable reports whether the same request may succeed later.
func (e *Error) Retryable() bool {
	if retry, known := codeClass(e.Code); known {
		return retry
	}
	return e.HTTPStatus >= 500 || e.HTTPStatus == 429 || e.Transient
}

// RetryAfter is the least wait Meta's guidance implies before a retry can
// succeed, or 0 when the caller's own backoff applies. It is a floor, not a
// schedule: the outbox should still back off exponentially (Meta suggests
// 4^n seconds for the pair rate limit).
func (e *Error) RetryAfter() time.Duration {
	switch e.Code {
	case CodePairRateLimit:
		return 6 * time.Second // one message per 6 s per user (§8.4)
	case CodeThroughput:
		return time.Second // the limit is per second (§8.3)
	case CodeMaintenance:
		return time.Minute // the throughput upgrade takes up to a minute (§8.3)
	case CodeAppRateLimit, CodeWABARateLimit, CodeTemplateRateLimit:
		return time.Minute // hourly Graph quotas (§8.5): no point hammering
	}
	return 0
}

// Retryable reports whether err, from any Client call, is worth retrying:
// a retryable *Error, or a transport failure (connection refused or reset, a
// timeout of the HTTP client or of the attempt's context, an answer cut
// short). A cancelled context is not: the caller gave up. Errors this package
// raises before sending (ErrInvalidMessage, *MediaError) are not either.
//
// A send whose answer was lost (timeout, cut connection) may nevertheless
// have been accepted by Meta; the Cloud API has no idempotency key, so a
// retry can deliver the message twice.
func Retryable(err error) bool {
	if err == nil {
		return false
	}
	var ge *Error
	if errors.As(err, &ge) {
		return ge.Retryable()
	}
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return true
	}
	// *url.Error is itself a net.Error, whatever its cause; look at the
	// cause, so that a malformed URL or a refused redirect is not retried.
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	// Dial, DNS, TLS-handshake and client timeouts, resets: all net.Error.
	var ne net.Error
	return errors.As(err, &ne)
}

// IsTokenInvalid reports whether err says the access token is expired,
// revoked or otherwise unusable (code 190): the caller should mark the number
// as needing new credentials rather than retry.
func IsTokenInvalid(err error) bool {
	var ge *Error
	return errors.As(err, &ge) && ge.Code == CodeAccessToken
}

// graphErrorBody is §5.1's body. error_data is usually an object but Graph
// has been seen sending it as a JSON string, hence RawMessage.
type graphErrorBody struct {
	Error *struct {
		Message        string          `json:"message"`
		Type           string          `json:"type"`
		Code           int             `json:"code"`
		ErrorSubcode   int             `json:"error_subcode"`
		ErrorData      json.RawMessage `json:"error_data"`
		ErrorUserTitle string          `json:"error_user_title"`
		ErrorUserMsg   string          `json:"error_user_msg"`
		IsTransient    bool            `json:"is_transient"`
		FBTraceID      string          `json:"fbtrace_id"`
	} `json:"error"`
}

// parseError turns a non-2xx answer into an *Error.
func parseError(status int, body []byte) error {
	e := &Error{HTTPStatus: status}
	var wrapped graphErrorBody
	if json.Unmarshal(body, &wrapped) != nil || wrapped.Error == nil {
		e.Message = truncate(strings.TrimSpace(string(body)), 300)
		e.Title = e.Message
		return e
	}
	g := wrapped.Error
	e.Code, e.Subcode, e.Type = g.Code, g.ErrorSubcode, g.Type
	e.Message = truncate(g.Message, 300)
	e.Title = e.Message
	if rest, ok := strings.CutPrefix(e.Message, fmt.Sprintf("(#%d) ", g.Code)); ok {
		e.Title = rest
	}
	e.UserTitle, e.UserMessage = g.ErrorUserTitle, truncate(g.ErrorUserMsg, 300)
	e.Transient, e.FBTraceID = g.IsTransient, g.FBTraceID
	var data struct {
		Details string `json:"details"`
	}
	var asString string
	switch {
	case json.Unmarshal(g.ErrorData, &data) == nil:
	case json.Unmarshal(g.ErrorData, &asString) == nil:
		_ = json.Unmarshal([]byte(asString), &data)
	}
	e.Details = truncate(data.Details, 500)
	return e
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	// Cut on a rune boundary so the error stays valid UTF-8.
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n] + "…"
}
