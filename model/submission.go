package model

import "time"

// Submission is what a supporter sent through the public submission form,
// besides the post it became (network NetworkSubmission): how to reach them
// and what they agreed to. Their name and organisation are the post's author
// (DisplayName and Bio), shown with the post once approved; the email is
// personal data that never leaves the moderation pages and is cleared after
// the configured retention period.
type Submission struct {
	PostID      int64
	Email       string    // optional; "" when not given or cleared
	ConsentText string    // the words the supporter ticked, as the form showed them
	ConsentAt   time.Time // when they sent the form
}
