#include "CV4L2Shim.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <libv4l2.h>

int sl_v4l2_open(const char *path, int flags) { return v4l2_open(path, flags); }
int sl_v4l2_close(int fd) { return v4l2_close(fd); }

int sl_v4l2_ioctl(int fd, unsigned long request, void *arg) {
    int r;
    do {
        r = v4l2_ioctl(fd, request, arg);
    } while (r == -1 && errno == EINTR);
    return r;
}

void *sl_v4l2_mmap(int fd, size_t length, int64_t offset) {
    void *p = v4l2_mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, (off_t)offset);
    return p == MAP_FAILED ? NULL : p;
}

int sl_v4l2_munmap(void *address, size_t length) { return v4l2_munmap(address, length); }

int sl_poll_readable(int fd, int timeout_ms, int *hangup) {
    struct pollfd p = {.fd = fd, .events = POLLIN | POLLPRI, .revents = 0};
    *hangup = 0;
    int r;
    do {
        r = poll(&p, 1, timeout_ms);
    } while (r == -1 && errno == EINTR);
    if (r > 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL))) *hangup = 1;
    if (r > 0 && !(p.revents & (POLLIN | POLLPRI))) return *hangup ? 1 : 0;
    return r > 0 ? 1 : r;
}

unsigned long sl_vidioc_querycap(void) { return VIDIOC_QUERYCAP; }
unsigned long sl_vidioc_enum_fmt(void) { return VIDIOC_ENUM_FMT; }
unsigned long sl_vidioc_enum_framesizes(void) { return VIDIOC_ENUM_FRAMESIZES; }
unsigned long sl_vidioc_enum_frameintervals(void) { return VIDIOC_ENUM_FRAMEINTERVALS; }
unsigned long sl_vidioc_g_fmt(void) { return VIDIOC_G_FMT; }
unsigned long sl_vidioc_s_fmt(void) { return VIDIOC_S_FMT; }
unsigned long sl_vidioc_g_parm(void) { return VIDIOC_G_PARM; }
unsigned long sl_vidioc_s_parm(void) { return VIDIOC_S_PARM; }
unsigned long sl_vidioc_queryctrl(void) { return VIDIOC_QUERYCTRL; }
unsigned long sl_vidioc_querymenu(void) { return VIDIOC_QUERYMENU; }
unsigned long sl_vidioc_g_ctrl(void) { return VIDIOC_G_CTRL; }
unsigned long sl_vidioc_s_ctrl(void) { return VIDIOC_S_CTRL; }
unsigned long sl_vidioc_reqbufs(void) { return VIDIOC_REQBUFS; }
unsigned long sl_vidioc_querybuf(void) { return VIDIOC_QUERYBUF; }
unsigned long sl_vidioc_qbuf(void) { return VIDIOC_QBUF; }
unsigned long sl_vidioc_dqbuf(void) { return VIDIOC_DQBUF; }
unsigned long sl_vidioc_streamon(void) { return VIDIOC_STREAMON; }
unsigned long sl_vidioc_streamoff(void) { return VIDIOC_STREAMOFF; }

uint32_t sl_pix_fmt_mjpeg(void) { return V4L2_PIX_FMT_MJPEG; }
uint32_t sl_pix_fmt_jpeg(void) { return V4L2_PIX_FMT_JPEG; }
uint32_t sl_pix_fmt_yuyv(void) { return V4L2_PIX_FMT_YUYV; }
