// Package facebook owns campaignwall's use of Meta's Graph API: the small
// Graph client (errors, rate-limit waits, paging) that this package and
// collectors/instagram share, and the collector of Facebook page posts
// (kind = "facebook_page"): GET /{page-id}/posts with attachments, for
// partners who post statements on their pages.
//
// Config (TOML keys of a source with kind = "facebook_page") maps to Options as:
//
//	url                  → model.Source.URL, the Graph API base (default https://graph.facebook.com/v21.0)
//	token_env/token_file → model.Source.Token, a page access token (or a user token
//	                       with pages_read_engagement for a public page)
//	hashtags             → model.Source.Hashtags: when set, only posts whose message
//	                       carries one of them are kept; empty keeps every post
//	page_id              → Options.PageID
//	page_size            → Options.PageSize
//	max_pages            → Options.MaxPages
package facebook
