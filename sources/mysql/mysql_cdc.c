/* The MySQL/MariaDB change stream (stub, being written). */
#include "sources/mysql/mysql_internal.h"

int lt_my_cdc_begin(struct lt_source *s, char checkpoint[LT_CHECKPOINT_MAX], struct lt_error *err)
{
    (void)s; (void)checkpoint;
    return lt_fail(err, LT_ERR_CONFIG, "mysql: change data capture is not available yet");
}
int lt_my_stream_start(struct lt_source *s, const struct lt_stream_options *opt, struct lt_error *err)
{
    (void)s; (void)opt;
    return lt_fail(err, LT_ERR_CONFIG, "mysql: change data capture is not available yet");
}
int lt_my_stream_next(struct lt_source *s, struct lt_change_event *ev, int timeout_ms, struct lt_error *err)
{
    (void)s; (void)ev; (void)timeout_ms;
    return lt_fail(err, LT_ERR_CONFIG, "mysql: change data capture is not available yet");
}
int lt_my_stream_ack(struct lt_source *s, const char *checkpoint, struct lt_error *err)
{
    (void)s; (void)checkpoint; (void)err;
    return LT_OK;
}
int lt_my_current_position(struct lt_source *s, char out[LT_CHECKPOINT_MAX], struct lt_error *err)
{
    char file[MY_FILE_MAX];
    uint64_t pos;
    if (lt_my_master_status(s->main, file, &pos, err))
        return LT_ERR_RUNTIME;
    lt_my_format_checkpoint(file, pos, out);
    return LT_OK;
}
void lt_my_cdc_close(struct lt_source *s)
{
    (void)s;
}
