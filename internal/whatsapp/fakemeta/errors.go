package fakemeta

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
)

// Error codes the fake produces. Titles and details follow Meta's error-code
// page (contract §5.2); HTTP statuses follow the older table the contract
// quotes, because the current page has no status column.
const (
	CodeInvalidParameter    = 100
	CodeAccessToken         = 190
	CodeTemplateRateLimit   = 80008
	CodeThroughput          = 130429
	CodeExperiment          = 130472
	CodeMissingParameter    = 131008
	CodeInvalidValue        = 131009
	CodeSameSenderRecipient = 131021
	CodeUndeliverable       = 131026
	CodeReengagement        = 131047
	CodeEcosystem           = 131049
	CodeMarketingOptOut     = 131050
	CodeMediaUpload         = 131053
	CodePairRate            = 131056
	CodeTemplateParamCount  = 132000
	CodeTemplateMissing     = 132001
	CodeTemplateParamFormat = 132012
	CodeTemplatePaused      = 132015
	CodeTemplateDisabled    = 132016
	CodeTemplateParamText   = 132018
)

// errorHref is what Meta puts in webhook-side error objects (§2.4, §2.5).
const errorHref = "/documentation/business-messaging/whatsapp/support/error-codes"

// apiError is one Graph API error. It is both a Go error (so validation code
// can simply return it) and the source of the §5.1 body and of the webhook
// error object when the same failure is reported asynchronously.
type apiError struct {
	status    int
	code      int
	typ       string
	title     string
	details   string
	subcode   int
	userTitle string
	userMsg   string
}

func (e *apiError) Error() string { return fmt.Sprintf("(#%d) %s: %s", e.code, e.title, e.details) }

// newError builds the canonical error for code with specific details. The
// title is fixed per code so that clients keying on message text see what
// Meta sends; what went wrong precisely goes in details.
func newError(code int, details string) *apiError {
	title, defDetails, status := catalog(code)
	if details == "" {
		details = defDetails
	}
	e := &apiError{status: status, code: code, typ: "OAuthException", title: title, details: details}
	if code == CodeThroughput {
		// Meta's own §5.1 example still carries the (deprecated) subcode.
		e.subcode = 2494055
	}
	return e
}

func errorf(code int, format string, args ...any) *apiError {
	return newError(code, fmt.Sprintf(format, args...))
}

// invalid is the workhorse of request validation: code 100 with a message
// that names the offending parameter.
func invalid(format string, args ...any) *apiError {
	return errorf(CodeInvalidParameter, format, args...)
}

// templateCreateError is a code-100 error with a template-creation subcode
// and the user-facing title/message Graph adds for those (§5.2 2388xxx).
func templateCreateError(subcode int, userTitle, format string, args ...any) *apiError {
	e := invalid(format, args...)
	e.subcode = subcode
	e.userTitle = userTitle
	e.userMsg = e.details
	return e
}

// unknownObject is Graph's answer for an id it cannot resolve: a
// GraphMethodException with code 100 and subcode 33. The contract does not
// show this body; it is Graph's documented generic shape.
func unknownObject(method, id string) *apiError {
	return &apiError{
		status:  http.StatusBadRequest,
		code:    CodeInvalidParameter,
		typ:     "GraphMethodException",
		title:   "Unsupported " + lowerASCII(method) + " request",
		details: fmt.Sprintf("Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation.", id),
		subcode: 33,
	}
}

// catalog returns title, default details and HTTP status per code. A switch
// rather than a map keeps the package free of mutable globals.
func catalog(code int) (title, details string, status int) {
	switch code {
	case CodeInvalidParameter:
		return "Invalid parameter", "Invalid parameter.", http.StatusBadRequest
	case CodeAccessToken:
		return "Invalid OAuth access token - Cannot parse access token", "Your access token is missing, invalid or has expired.", http.StatusUnauthorized
	case CodeTemplateRateLimit:
		return "There have been too many calls to this WhatsApp Business account", "Too many template creations for this WhatsApp Business Account; try again later.", http.StatusBadRequest
	case CodeThroughput:
		return "Rate limit hit", "Cloud API message throughput has been reached.", http.StatusBadRequest
	case CodeExperiment:
		return "User's number is part of an experiment", "Failed to send message because this user's phone number is part of an experiment", http.StatusBadRequest
	case CodeMissingParameter:
		return "Required parameter is missing", "A required parameter is missing.", http.StatusBadRequest
	case CodeInvalidValue:
		return "Parameter value is not valid", "A parameter value is not valid.", http.StatusBadRequest
	case CodeSameSenderRecipient:
		return "Recipient cannot be sender", "Sender and recipient phone number is the same.", http.StatusBadRequest
	case CodeUndeliverable:
		return "Message undeliverable", "Unable to deliver message. Reasons can include: the recipient phone number is not a WhatsApp phone number; the recipient has not accepted the new Terms of Service; the recipient is using an old WhatsApp version.", http.StatusBadRequest
	case CodeReengagement:
		return "Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number.", http.StatusBadRequest
	case CodeEcosystem:
		return "This message was not delivered to maintain healthy ecosystem engagement.", "In order to maintain a healthy ecosystem engagement, the message failed to be delivered.", http.StatusBadRequest
	case CodeMarketingOptOut:
		return "Unable to deliver the message. This recipient has chosen to stop receiving marketing messages on WhatsApp from your business.", "The recipient has stopped marketing messages from this business.", http.StatusBadRequest
	case CodeMediaUpload:
		return "Media upload error", "Unable to upload the media used in the message.", http.StatusBadRequest
	case CodePairRate:
		return "(Business Account, Consumer Account) pair rate limit hit", "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.", http.StatusBadRequest
	case CodeTemplateParamCount:
		return "Number of parameters does not match the expected number of params", "The number of parameters provided does not match the expected number of parameters.", http.StatusBadRequest
	case CodeTemplateMissing:
		return "Template name does not exist in the translation", "The template does not exist in the specified language or the template has not been approved.", http.StatusNotFound
	case CodeTemplateParamFormat:
		return "Parameter format does not match format in the created template", "A parameter's type does not match the template.", http.StatusBadRequest
	case CodeTemplatePaused:
		return "Template is Paused", "Template is paused due to low quality so it cannot be sent in a template message.", http.StatusBadRequest
	case CodeTemplateDisabled:
		return "Template is disabled", "Template has been disabled due to low quality so it cannot be sent in a template message.", http.StatusBadRequest
	case CodeTemplateParamText:
		return "There was an issue with the parameters in your template.", "Param text cannot have new-line/tab characters or more than 4 consecutive spaces.", http.StatusBadRequest
	}
	return "Unknown error", "Something went wrong.", http.StatusInternalServerError
}

// errorBody is the §5.1 synchronous error body.
type errorBody struct {
	Error errorObject `json:"error"`
}

type errorObject struct {
	Message        string    `json:"message"`
	Type           string    `json:"type"`
	Code           int       `json:"code"`
	ErrorData      errorData `json:"error_data"`
	ErrorSubcode   int       `json:"error_subcode,omitempty"`
	ErrorUserTitle string    `json:"error_user_title,omitempty"`
	ErrorUserMsg   string    `json:"error_user_msg,omitempty"`
	FBTraceID      string    `json:"fbtrace_id"`
}

type errorData struct {
	MessagingProduct string `json:"messaging_product"`
	Details          string `json:"details"`
}

func (e *apiError) body() errorBody {
	return errorBody{Error: errorObject{
		Message:        fmt.Sprintf("(#%d) %s", e.code, e.title),
		Type:           e.typ,
		Code:           e.code,
		ErrorData:      errorData{MessagingProduct: "whatsapp", Details: e.details},
		ErrorSubcode:   e.subcode,
		ErrorUserTitle: e.userTitle,
		ErrorUserMsg:   e.userMsg,
		FBTraceID:      fbtraceID(),
	}}
}

// webhookError is the asynchronous form (§2.4 statuses[].errors[]).
func (e *apiError) webhookError() hookError {
	return hookError{Code: e.code, Title: e.title, Message: e.title, ErrorData: hookErrorData{Details: e.details}, Href: errorHref}
}

func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, e.body())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// fbtraceID imitates Graph's per-request trace id; clients log it, nobody
// parses it.
func fbtraceID() string {
	b := make([]byte, 17)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
