/* crosswatch — evidence an officer can act on, for every violation event.
 *
 * Following the practice of GA/T 832 (image evidence of traffic violations), each event gets, in
 * its own folder under the evidence root:
 *  - three full-resolution colour JPEG pictures at distinct moments — 1-before.jpg (gap_s before
 *    the decisive moment: before the line with the light red; the pedestrian on the crosswalk
 *    with the vehicle before it), 2-during.jpg (the decisive frame: on the line; the vehicle on
 *    the crosswalk) and 3-after.jpg (gap_s later, or when the rule fired if that is later: past
 *    the line; the vehicle leaving) — each with the date and time to the millisecond, site,
 *    camera, rule and the offender's box drawn over it;
 *  - offender.jpg, a close-up crop of the offender from the decisive frame (no overlay);
 *  - clip.mp4, from before_s before the decisive moment to after_s after the rule fired, cut
 *    from the source's ring of compressed packets without re-encoding (clip.h);
 *  - with privacy on, public/: copies of the three pictures with people's heads and bystanders
 *    pixelated, for public screens and exports; the originals stay for officers.
 * The pictures are taken from frames kept only while the rules say a road user may become a
 * violation (cw_rules_interest: a picture a second while one nears a decisive move, the frame
 * of the decisive moment, the "after" frame of a waiting event), in a pool of a few reused
 * buffers; no full-resolution history is held. A picture that was not kept (the pool was busy,
 * the rule gave no warning) is decoded again from the clip's own packets when it is cut.
 *
 * Every file is hashed (SHA-256) into a manifest that the store seals into its chain
 * (store.h, cw_store_set_evidence); an event's evidence is "pending" from the moment it is asked
 * for, so a crash leaves it visibly incomplete. A full disk fails the evidence with a logged
 * error and "failed: disk full" on the event, and detection goes on.
 */
#ifndef CROSSWATCH_EVIDENCE_H
#define CROSSWATCH_EVIDENCE_H

#include <stdbool.h>
#include <stdint.h>

#include "crosswatch/event.h"
#include "crosswatch/frame.h"
#include "crosswatch/options.h"
#include "crosswatch/rules.h"
#include "crosswatch/tracker.h"

struct cw_evidence_config {
    double before_s;     /* clip from this long before the decisive moment */
    double after_s;      /* … to this long after the rule fired */
    double gap_s;        /* the first and last pictures this far from the decisive moment */
    int quality;         /* JPEG quality */
    int font_px;         /* overlay text size; 0: a 40th of the picture's height */
    char *font;          /* TrueType font for the overlay */
    char *font_fallback; /* for what the font lacks (Chinese site names) */
    bool privacy;        /* also write public/ copies with people pixelated */
    bool live_pictures;  /* pictures from frames kept live (else all decoded again) */
    char *timezone;      /* overlay clock's IANA zone; "" or NULL: the scene's, else UTC */
};

extern const struct cw_option cw_evidence_options[];

struct cw_evidence;
struct cw_source;
struct cw_scene;
struct cw_store;

/* Evidence for events of @src (whose packet ring must span before_s + after_s plus the longest
 * violation) seen on @scene, written under the folder @root and recorded in @store. All are
 * borrowed. Returns NULL after logging one line (a font that cannot be read, a root that cannot
 * be made). */
struct cw_evidence *cw_evidence_new(const struct cw_evidence_config *cfg, const char *root,
                                    struct cw_source *src, const struct cw_scene *scene,
                                    struct cw_store *store);
void cw_evidence_free(struct cw_evidence *ev);

/* Notes an analysed frame and the tracks reported in it (their boxes are kept for the pictures'
 * overlays, for as long as a clip spans), after the rules have run on it: @want is
 * cw_rules_interest (rules.h), which says whether to keep the picture — now and then while a road
 * user may soon make a decisive move, and at a decisive moment, for as long as its rule may take
 * to be sure — for the evidence pictures. Pictures are copied into a small pool of reused
 * buffers, not allocated per frame. */
void cw_evidence_observe(struct cw_evidence *ev, const struct cw_frame *f,
                         const struct cw_track_out *tracks, int n, struct cw_rules_interest want);

/* Names @e's evidence folder (relative to the root) into e->evidence, before it is written. */
void cw_evidence_name(const struct cw_evidence *ev, struct cw_event *e);

/* Asks for the evidence of @e, already written to the store (it has its id): recorded as
 * pending now, made by cw_evidence_run once its clip has ended. Returns 0, or CW_EBUSY when too
 * many are waiting (logged; the event stays pending). */
int cw_evidence_request(struct cw_evidence *ev, const struct cw_event *e);

/* Makes the evidence of every waiting event whose clip has ended by the last observed frame —
 * all of them with @flush (end of input). Returns how many were completed. */
int cw_evidence_run(struct cw_evidence *ev, bool flush);

struct cw_evidence_stats {
    int64_t requested, complete, failed;
    int waiting;
    double last_ms;                          /* time the last evidence took */
    int64_t files_bytes;                     /* bytes written */
    int64_t pictures_live, pictures_decoded; /* pictures from kept live frames, decoded again */
    double delay_max_s; /* longest from a clip's end to its evidence being complete (stream time:
                           real time for a live camera) */
};
void cw_evidence_get_stats(struct cw_evidence *ev, struct cw_evidence_stats *out);

#endif
