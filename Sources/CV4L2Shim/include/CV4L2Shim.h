// What Swift cannot import from the V4L2 headers: the ioctl request codes
// (built by function-like _IOWR macros), the fourcc pixel-format constants
// (built by the v4l2_fourcc macro), and libv4l2's variadic open/ioctl.
#ifndef SIGHTLINE_CV4L2SHIM_H
#define SIGHTLINE_CV4L2SHIM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/videodev2.h>

// libv4l2 wrappers. They return -1 and set errno exactly as libv4l2 does.
int sl_v4l2_open(const char *path, int flags);
int sl_v4l2_close(int fd);
int sl_v4l2_ioctl(int fd, unsigned long request, void *arg);
void *sl_v4l2_mmap(int fd, size_t length, int64_t offset);
int sl_v4l2_munmap(void *address, size_t length);

// Wait until fd is readable or `timeout_ms` passes.
// Returns 1 when readable, 0 on timeout, -1 with errno on error;
// *hangup is set when the device reported POLLERR/POLLHUP (unplugged).
int sl_poll_readable(int fd, int timeout_ms, int *hangup);

// ioctl request codes.
unsigned long sl_vidioc_querycap(void);
unsigned long sl_vidioc_enum_fmt(void);
unsigned long sl_vidioc_enum_framesizes(void);
unsigned long sl_vidioc_enum_frameintervals(void);
unsigned long sl_vidioc_g_fmt(void);
unsigned long sl_vidioc_s_fmt(void);
unsigned long sl_vidioc_g_parm(void);
unsigned long sl_vidioc_s_parm(void);
unsigned long sl_vidioc_queryctrl(void);
unsigned long sl_vidioc_querymenu(void);
unsigned long sl_vidioc_g_ctrl(void);
unsigned long sl_vidioc_s_ctrl(void);
unsigned long sl_vidioc_reqbufs(void);
unsigned long sl_vidioc_querybuf(void);
unsigned long sl_vidioc_qbuf(void);
unsigned long sl_vidioc_dqbuf(void);
unsigned long sl_vidioc_streamon(void);
unsigned long sl_vidioc_streamoff(void);

// Pixel formats (fourcc codes).
uint32_t sl_pix_fmt_mjpeg(void);
uint32_t sl_pix_fmt_jpeg(void);
uint32_t sl_pix_fmt_yuyv(void);

#endif
