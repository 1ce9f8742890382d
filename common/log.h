/* Logging and the internal-invariant assert. One convention: functions
 * return negative errno (or -1 with a message already logged) on failure;
 * SHOAL_ASSERT is only for emulator invariants, never for guest input. */
#ifndef SHOAL_COMMON_LOG_H
#define SHOAL_COMMON_LOG_H

#include <stdarg.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void shoal_assert_fail(const char *expr, const char *file, int line);

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#define SHOAL_ASSERT(e) ((e) ? (void)0 : shoal_assert_fail(#e, __FILE__, __LINE__))

#endif
