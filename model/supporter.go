package model

import "time"

// SupporterStatus is where a supporter is with petition reminders.
type SupporterStatus string

const (
	SupporterActive   SupporterStatus = "active"   // reminded at their cadence
	SupporterSigned   SupporterStatus = "signed"   // said they signed: no more reminders
	SupporterStopped  SupporterStatus = "stopped"  // said stop: no more reminders
	SupporterFinished SupporterStatus = "finished" // got the maximum number of reminders
)

// Supporter is someone who asked a bot account to remind them to sign the
// petition. Only what consent records and reminders need is kept: no name,
// no email, no message text.
type Supporter struct {
	ID             int64
	Network        Network
	Handle         string
	Language       string // ISO 639-1, from their keyword or post
	TimeZone       string // IANA name; reminders come inside their waking hours
	CadenceDays    int
	Status         SupporterStatus
	ConsentAt      time.Time
	EndedAt        time.Time // when they said signed or stop
	RemindersSent  int
	NextReminderAt time.Time // zero when none is due
}

// Reminder is one reminder planned for a supporter: the outbox row that
// carries it, and when it was planned.
type Reminder struct {
	SupporterID int64
	OutboxKey   string
	PlannedAt   time.Time
}
