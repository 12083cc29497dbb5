// SPDX-License-Identifier: GPL-2.0
/*
 * evdev_read DEVICE SECONDS: read an input device's events for SECONDS
 * (or until it goes) and say what a person did, as a program in the guest
 * sees it:
 *   text TEXT        the keys typed, decoded for a US layout with Shift
 *   pointer X Y      where the absolute pointer was last
 *   clicks N         left-button presses released
 *   events N         events read, SYN_REPORT included
 * Keys it cannot decode appear as <CODE>.
 */
#include <fcntl.h>
#include <linux/input.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* KEY_* code -> the characters it types unshifted and shifted */
static const struct {
	unsigned short code;
	char plain, shift;
} keymap[] = {
	{ KEY_1, '1', '!' }, { KEY_2, '2', '@' }, { KEY_3, '3', '#' },
	{ KEY_4, '4', '$' }, { KEY_5, '5', '%' }, { KEY_6, '6', '^' },
	{ KEY_7, '7', '&' }, { KEY_8, '8', '*' }, { KEY_9, '9', '(' },
	{ KEY_0, '0', ')' }, { KEY_MINUS, '-', '_' }, { KEY_EQUAL, '=', '+' },
	{ KEY_Q, 'q', 'Q' }, { KEY_W, 'w', 'W' }, { KEY_E, 'e', 'E' },
	{ KEY_R, 'r', 'R' }, { KEY_T, 't', 'T' }, { KEY_Y, 'y', 'Y' },
	{ KEY_U, 'u', 'U' }, { KEY_I, 'i', 'I' }, { KEY_O, 'o', 'O' },
	{ KEY_P, 'p', 'P' }, { KEY_LEFTBRACE, '[', '{' },
	{ KEY_RIGHTBRACE, ']', '}' }, { KEY_A, 'a', 'A' }, { KEY_S, 's', 'S' },
	{ KEY_D, 'd', 'D' }, { KEY_F, 'f', 'F' }, { KEY_G, 'g', 'G' },
	{ KEY_H, 'h', 'H' }, { KEY_J, 'j', 'J' }, { KEY_K, 'k', 'K' },
	{ KEY_L, 'l', 'L' }, { KEY_SEMICOLON, ';', ':' },
	{ KEY_APOSTROPHE, '\'', '"' }, { KEY_GRAVE, '`', '~' },
	{ KEY_BACKSLASH, '\\', '|' }, { KEY_Z, 'z', 'Z' }, { KEY_X, 'x', 'X' },
	{ KEY_C, 'c', 'C' }, { KEY_V, 'v', 'V' }, { KEY_B, 'b', 'B' },
	{ KEY_N, 'n', 'N' }, { KEY_M, 'm', 'M' }, { KEY_COMMA, ',', '<' },
	{ KEY_DOT, '.', '>' }, { KEY_SLASH, '/', '?' }, { KEY_SPACE, ' ', ' ' },
};

int main(int argc, char **argv)
{
	char text[1024] = "";
	size_t tl = 0;
	int fd, shift = 0, x = -1, y = -1, clicks = 0, events = 0;
	time_t end;

	if (argc != 3) {
		fprintf(stderr, "usage: evdev_read DEVICE SECONDS\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	end = time(NULL) + atoi(argv[2]);
	while (time(NULL) < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		struct input_event ev;
		unsigned int i;

		if (poll(&p, 1, 200) <= 0)
			continue;
		if (read(fd, &ev, sizeof(ev)) != sizeof(ev))
			break;
		events++;
		if (ev.type == EV_ABS && ev.code == ABS_X)
			x = ev.value;
		if (ev.type == EV_ABS && ev.code == ABS_Y)
			y = ev.value;
		if (ev.type != EV_KEY)
			continue;
		if (ev.code == KEY_LEFTSHIFT || ev.code == KEY_RIGHTSHIFT) {
			shift = ev.value != 0;
			continue;
		}
		if (ev.code == BTN_LEFT) {
			clicks += ev.value == 0;
			continue;
		}
		if (ev.value != 1 || tl + 8 >= sizeof(text))
			continue;
		for (i = 0; i < sizeof(keymap) / sizeof(keymap[0]); i++)
			if (keymap[i].code == ev.code)
				break;
		if (i < sizeof(keymap) / sizeof(keymap[0]))
			text[tl++] = shift ? keymap[i].shift : keymap[i].plain;
		else
			tl += snprintf(text + tl, sizeof(text) - tl, "<%u>",
				       ev.code);
		text[tl] = 0;
	}
	printf("text %s\npointer %d %d\nclicks %d\nevents %d\n", text, x, y,
	       clicks, events);
	return 0;
}
