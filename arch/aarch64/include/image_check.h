/* image_check.h: the hypervisor image's checksum at start-up and at power-off (image_check.c). */
#ifndef AARCH64_IMAGE_CHECK_H
#define AARCH64_IMAGE_CHECK_H

void image_check_start(void);   /* boot CPU, once: prints the range and the checksum */
void image_check_end(void);     /* prints whether the checksum is unchanged */

#endif
