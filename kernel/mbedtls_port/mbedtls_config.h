/* mbedtls_config.h: the one mbedtls configuration the hypervisor builds (MBEDTLS_CONFIG_FILE):
 * SHA-256 and the generic message-digest layer for its HMAC, nothing else (kernel/mbedtls.mk). */
#ifndef HV_MBEDTLS_CONFIG_H
#define HV_MBEDTLS_CONFIG_H

#define MBEDTLS_MD_C
#define MBEDTLS_SHA256_C

#include "mbedtls/check_config.h"

#endif
