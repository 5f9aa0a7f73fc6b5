#!/bin/sh
# Extract the uncompressed vmlinux ELF (with its .BTF section) from a
# bzImage, using the x86 boot protocol's header (Documentation/arch/x86/
# boot.rst in the kernel): setup_sects at 0x1f1, payload_offset at 0x248
# and payload_length at 0x24c, relative to the protected-mode code that
# starts after (setup_sects + 1) * 512 bytes.
#
#   vmlinux-from-bzimage.sh BZIMAGE OUT
set -eu

bz=${1:?usage: vmlinux-from-bzimage.sh BZIMAGE OUT}
out=${2:?usage: vmlinux-from-bzimage.sh BZIMAGE OUT}

# Little-endian unsigned integer of $2 bytes at offset $1.
le() {
	od -An -tu"$2" -j "$1" -N "$2" --endian=little "$bz" | tr -d ' '
}

[ "$(dd if="$bz" bs=1 skip=514 count=4 2>/dev/null)" = "HdrS" ] || {
	echo "vmlinux-from-bzimage.sh: $bz is not a bzImage" >&2; exit 1; }
setup_sects=$(le 497 1)
[ "$setup_sects" -eq 0 ] && setup_sects=4
payload_offset=$(le 584 4)
payload_length=$(le 588 4)
start=$(( (setup_sects + 1) * 512 + payload_offset ))

magic=$(od -An -tx1 -j "$start" -N 4 "$bz" | tr -d ' ')
case "$magic" in
02214c18)	dec="lz4 -dc" ;;
28b52ffd)	dec="zstd -dcq" ;;
fd377a58)	dec="xz -dc" ;;
1f8b*)		dec="gzip -dc" ;;
*)	echo "vmlinux-from-bzimage.sh: unknown payload compression ($magic)" >&2
	exit 1 ;;
esac

# The payload ends with the decompressed size (4 bytes), which some
# decompressors call trailing garbage: their status is not trusted, the
# ELF magic of the result is.
tail -c +"$((start + 1))" "$bz" | head -c "$payload_length" |
	$dec > "$out.tmp" 2>/dev/null || true
if [ "$(head -c 4 "$out.tmp" | od -An -tx1 | tr -d ' ')" != "7f454c46" ]; then
	rm -f "$out.tmp"
	echo "vmlinux-from-bzimage.sh: decompressing $bz gave no ELF" >&2
	exit 1
fi
mv "$out.tmp" "$out"
