// The per-platform normalizers behind Normalize() (normalizer.cc parses the
// payload and dispatches here), one source file each. Internal to
// connectors/webhooks: the public API is normalizer.h.
//
// Each takes the payload's root, already parsed and a non-empty JSON object,
// and appends what it reads to `out`: messages, events (edits, deletes, the
// brand's own replies) and ignored kinds, with the id prefixes normalizer.h
// lists. Fields are read with payload_reader.h and its tolerance; an error
// means the payload is not the platform's shape at all. Normalize() then
// counts and drops any message whose platform id came out empty.
#ifndef TRIAGE_CONNECTORS_WEBHOOKS_PLATFORMS_H_
#define TRIAGE_CONNECTORS_WEBHOOKS_PLATFORMS_H_

#include <string>

#include "base/status.h"
#include "connectors/webhooks/normalizer.h"
#include "connectors/webhooks/payload_reader.h"

namespace triage::webhooks_internal {

// Counts one event that carries no customer message under `kind` (normalizer.h: `ignored`).
inline void Ignore(NormalizeResult* out, const std::string& kind) { ++out->ignored[kind]; }

// meta.cc: Messenger, Instagram (DMs and comments) and WhatsApp Business Cloud
// API webhooks ({"object": "page"|"instagram"|"whatsapp_business_account",
// "entry": [...]}). Per entry: "messaging" items (messages, edits, deletions,
// and echoes of the brand's own replies, sent from the page or app), "standby"
// items (handover protocol: another app owns the thread), and "changes": the
// page feed (Facebook comments and posts), Instagram comments/mentions, and
// WhatsApp "messages" changes (messages, edits and revokes; statuses counted).
Status NormalizeMeta(dom::element root, NormalizeResult* out);

// x.cc: Account Activity API payloads (tweet_create_events,
// direct_message_events, tweet_delete_events, and the other event lists,
// which are only counted), a single v1.1 DM event as the REST API returns it
// ({"event": {...}}), a bare v1.1 Tweet object as archived from the REST API,
// and X API v2 objects ({"data": tweet | [tweets] | [dm events], "includes":
// {"users": [...]}}). "for_user_id" names the brand account: its own Tweets
// and DMs are `replied` events.
Status NormalizeX(dom::element root, NormalizeResult* out);

// slack.cc: Events API event_callback envelopes (message and app_mention
// events; edits, deletions and bot messages as events), an envelope without a
// "type" that holds an "event" object, and url_verification handshakes
// (counted as ignored).
Status NormalizeSlack(dom::element root, NormalizeResult* out);

// telegram.cc: Bot API updates (they carry "update_id"): message and
// channel_post, edited_message and edited_channel_post as edits, a message
// from a bot as a `replied` event.
Status NormalizeTelegram(dom::element root, NormalizeResult* out);

// mastodon.cc: status entities (a bare status, as a streaming "update"
// carries), notifications (a mention: {"type": ..., "status": {...}}) and
// webhooks ({"event": "status.created"|"status.updated", "object": status}).
Status NormalizeMastodon(dom::element root, NormalizeResult* out);

// reddit.cc: comment (t1) and private message (t4) things ({"kind": ...,
// "data": {...}}) and listings of them ({"kind": "Listing", "data":
// {"children": [...]}}).
Status NormalizeReddit(dom::element root, NormalizeResult* out);

// chatwoot.cc: Chatwoot webhooks ({"event": ..., ...}): message_created of
// message_type incoming (a customer's message, conversation id
// "chatwoot:<conversation.id>", so the chatwoot outbound sink can answer it),
// outgoing and template ones as `replied` events; private notes and the
// other events counted.
Status NormalizeChatwoot(dom::element root, NormalizeResult* out);

}  // namespace triage::webhooks_internal

#endif  // TRIAGE_CONNECTORS_WEBHOOKS_PLATFORMS_H_
