// Package bot owns campaignwall's amplification bot: the outbox of actions on
// the campaign's own accounts, one publisher per network (Mastodon, Bluesky,
// X), highlight reposts, and petition reminders to supporters who opted in.
//
// # The outbox
//
// Nothing is sent that was not first written to the outbox (store table
// outbox) with an idempotency key, unique per action ("highlight:mastodon:URI").
// Planning the same action twice yields one row. Service.Tick, called by the
// scheduler every few seconds, dispatches due rows:
//
//	planned ──claim──► sending ──send ok──► sent (with the network's ID)
//	                      │ 429, nothing resolvable yet ──► planned (later)
//	                      │ 401/403/422/404 ──► failed (reason shown to admins)
//	                      │ 5xx, timeout, lost connection ──► sending (later, reconcile first)
//	planned ──budget, stale, post no longer approved──► skipped (reason)
//
// The claim (planned → sending, attempts+1) is committed before the request
// leaves. So after a crash or restart a row is in one of two states:
//
//   - planned: the crash came before the claim; nothing left. It is sent
//     normally.
//   - sending: the request may or may not have reached the network (crash
//     between send and mark, a timeout, a 502 after the post was created).
//     Such a row is never simply resent: the next attempt first asks the
//     network (Publisher.Lookup) whether the bot already did it, and marks it
//     sent if so.
//
// How each network answers "did the bot already do this?":
//
//   - Mastodon boost: the status, resolved on the bot's instance, says
//     "reblogged": true. (Reblogging is also idempotent on Mastodon.)
//   - Mastodon post, reply, DM: the request carries an Idempotency-Key header
//     derived from the outbox key (Mastodon returns the first status for a key
//     it has seen in the last hour); Lookup lists the bot account's own
//     statuses since the first attempt and compares their source text
//     (GET /api/v1/statuses/:id/source).
//   - Bluesky posts, replies, reposts: every record is created with a
//     deterministic record key, a TID built from the outbox row's creation
//     time and a hash of its idempotency key. Lookup is one
//     com.atproto.repo.getRecord on that key, and a resend could not create a
//     second record under it anyway.
//   - Bluesky DM: Lookup reads the conversation (chat.bsky.convo.getMessages)
//     for a message from the bot with the planned text since the first attempt.
//   - X: Lookup reads the bot's recent timeline (GET /2/users/:id/tweets since
//     the first attempt): a retweet of the target, or a post whose text (t.co
//     links expanded, HTML entities undone) is the planned text.
//
// A lookup that cannot be made (an action without one) fails the row rather
// than risk a double send. Tests kill the bot between "written" and "sent"
// and between "sent" and "marked" on each network and check that each
// action reaches the network once (outbox_test.go).
//
// Retries back off exponentially from Config.RetryBase to Config.RetryMax, or
// longer when the network says so (Retry-After and the networks' rate-limit
// reset headers); a rate-limited network is left alone until its reset. A
// revoked token or missing scope fails that row and halts the network until
// Resume or a restart, so one bad token does not fail every queued row.
// After Config.MaxAttempts a row is failed with its last reason; if the last
// attempt may have reached the network, it is looked up once more first.
//
// The HTTP client given to New must not retry requests itself: a transparent
// retry of a POST after a 5xx is exactly the double post this package exists
// to prevent. (go-mastodon's own 429 loop is cut short by a transport here.)
//
// The bot starts in dry run (Config.DryRun, default true): the outbox fills
// and shows what would be sent (Preview), rows stay planned, and Tick sends
// nothing and asks nothing of any network. In dry run neither are mentions
// read nor supporter reminders planned, since a supporter would otherwise
// use up reminders that never leave.
//
// One process dispatches: Tick serializes itself, and the scheduler runs it
// with SkipIfStillRunning. Several processes sharing one database would need a
// lease on rows; none is taken.
//
// # Highlights
//
// PlanHighlight turns a post a moderator highlighted into one repost on the
// post's own network, at the first slot that respects quiet hours, caps per
// hour and per day, minimum spacing and the per-author daily cap, so a post
// highlighted at night is planned for the morning rather than dropped.
// Replies, content-warned posts and authors who opted out (#nobot, #nowall in
// the post or bio) are recorded as skipped with the reason. With
// Config.HighlightPost set, a short post linking to the highlight is planned
// on the campaign's other networks too.
//
// Public reminder campaigns (Config.Reminders.Campaigns) are posted by
// PlanCampaign, which the scheduler runs on each campaign's cron schedule;
// they obey the same caps and quiet hours.
//
// # Supporters
//
// Supporters opt in to petition reminders by mentioning a bot account with a
// keyword ("remind me" or its equivalent in any of the 24 EU languages);
// PollMentions reads the accounts' mentions and HandleMention acts on them:
// consent is recorded and a confirmation reply planned; "stop" and "signed"
// end reminders at once (a reminder planned but not yet sent is skipped) with
// a short reply. Tick plans due reminders as direct messages, one cadence
// apart (weekly by default), inside the supporter's waking hours in their
// time zone, up to Reminders.MaxReminders. Only handle, network, language,
// time zone, consent time and reminder history are stored; Forget deletes
// all of it, and ExportConsent writes the consent records as CSV.
package bot
