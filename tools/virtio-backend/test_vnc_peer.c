// SPDX-License-Identifier: GPL-2.0
/*
 * test_vnc_peer SOCKET: a viewer built on libvncclient, the VNC client
 * library most Linux viewers and test tools use, for test_vnc.c to try
 * the backend's VNC server against a client it did not write.  It
 * connects to the unix socket SOCKET with libvncclient's defaults (RFB
 * 3.8, its own list of encodings, 32 bits per pixel with red in the low
 * byte), waits for the whole display, types "Hi" (Shift as a key of its
 * own, as viewers do), clicks the left button at 10,20, and writes the
 * display as it received it (width * height * 4 bytes) to stdout.
 * Exit status 0, or 1 with a line on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rfb/rfbclient.h>

#define XK_SHIFT_L	0xffe1

static int whole;

static void got_update(rfbClient *cl, int x, int y, int w, int h)
{
	if (!x && !y && w == cl->width && h == cl->height)
		whole = 1;
}

static void quiet(const char *fmt, ...)
{
	(void)fmt;
}

int main(int argc, char **argv)
{
	static const struct {
		uint32_t key;
		int down;
	} keys[] = {
		{ XK_SHIFT_L, 1 }, { 'H', 1 }, { 'H', 0 }, { XK_SHIFT_L, 0 },
		{ 'i', 1 }, { 'i', 0 },
	};
	rfbClient *cl;
	size_t i, size;
	int waits = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: test_vnc_peer SOCKET\n");
		return 1;
	}
	rfbClientLog = quiet;
	cl = rfbGetClient(8, 3, 4);
	if (!cl)
		return 1;
	cl->serverHost = strdup(argv[1]);
	cl->GotFrameBufferUpdate = got_update;
	if (!rfbInitClient(cl, NULL, NULL)) {
		/* it freed the client */
		fprintf(stderr, "test_vnc_peer: cannot connect to %s\n", argv[1]);
		return 1;
	}
	while (!whole && waits++ < 50) {
		int r = WaitForMessage(cl, 100000);

		if (r < 0 || (r > 0 && !HandleRFBServerMessage(cl))) {
			fprintf(stderr, "test_vnc_peer: the server went\n");
			rfbClientCleanup(cl);
			return 1;
		}
	}
	if (!whole) {
		fprintf(stderr, "test_vnc_peer: no whole frame in 5 s\n");
		rfbClientCleanup(cl);
		return 1;
	}
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		SendKeyEvent(cl, keys[i].key, keys[i].down);
	SendPointerEvent(cl, 10, 20, rfbButton1Mask);
	SendPointerEvent(cl, 10, 20, 0);
	size = (size_t)cl->width * cl->height * 4;
	if (fwrite(cl->frameBuffer, 1, size, stdout) != size) {
		rfbClientCleanup(cl);
		return 1;
	}
	rfbClientCleanup(cl);
	return 0;
}
