/* Little-endian / big-endian integer readers for the MySQL/MariaDB decoders: the shared ones of
 * agent/byte_reader.h (this header stays so that the decoders' includes need not change). */
#ifndef LOGTAP_MYSQL_BYTES_H
#define LOGTAP_MYSQL_BYTES_H

#include "agent/byte_reader.h"

#endif
