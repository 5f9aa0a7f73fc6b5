#!/bin/sh
# Check `make install` into a scratch DESTDIR: every file in place, the
# shared library's soname and exports, the pkg-config file usable to build
# a program against the installed tree, and the DKMS tree complete.
# Prints results like a test host and "TESTHOST install passed=N ...".
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
dest=$(mktemp -d)
log=$(mktemp)
trap 'rm -rf "$dest" "$log"' EXIT
ver=$(cat "$top/VERSION")

check() {
	name=$1
	shift
	if "$@" >> "$log.out" 2>&1; then
		echo "MVM-RESULT ok $name"
	else
		echo "MVM-RESULT fail $name $(tail -n 3 "$log.out" | tr '\n' ' ')"
	fi
}

{
	check make_install make -s -C "$top" install DESTDIR="$dest" PREFIX=/usr
	for f in /usr/bin/mvm /usr/bin/mvm-ioctlstat /usr/lib/libmvm.a \
		 /usr/lib/libmvm.so "/usr/lib/libmvm.so.$ver" \
		 /usr/include/mvm/mvm.h /usr/include/mvm/vm.h \
		 /usr/include/linux/mvm.h \
		 /usr/lib/pkgconfig/libmvm.pc /lib/udev/rules.d/60-mvm.rules \
		 /etc/modules-load.d/mvm.conf "/usr/src/mvm-$ver/dkms.conf" \
		 "/usr/src/mvm-$ver/Kbuild"; do
		check "file$f" test -e "$dest$f"
	done
	check module_installed sh -c "ls '$dest'/lib/modules/*/updates/mvm.ko"
	check soname sh -c "readelf -d '$dest/usr/lib/libmvm.so.$ver' | grep -q 'SONAME.*libmvm.so.0'"
	check exports_only_mvm sh -c "! nm -D --defined-only '$dest/usr/lib/libmvm.so.$ver' | awk '\$2 ~ /[TDBR]/ {print \$3}' | grep -v '^mvm_' | grep -v '^LIBMVM_'"
	check udev_rule grep -q 'GROUP="mvm", MODE="0660"' "$dest/lib/udev/rules.d/60-mvm.rules"
	check dkms_version grep -q "PACKAGE_VERSION=\"$ver\"" "$dest/usr/src/mvm-$ver/dkms.conf"
	printf '#include <mvm/vm.h>\nint main(void) { struct mvm_vm_config c; mvm_vm_config_init(&c); return mvm_backend_name(MVM_BACKEND_VMX)[0] != %s; }\n' "'v'" > "$dest/t.c"
	# libmvm.pc requires libnl-route-3.0 (privately): the system's .pc
	# files are searched after the installed tree's.
	sys_pc=$(pkg-config --variable pc_path pkg-config)
	check pkg_config_build sh -c "cc -std=c11 -Wall -Werror -o '$dest/t' '$dest/t.c' \$(PKG_CONFIG_SYSROOT_DIR='$dest' PKG_CONFIG_LIBDIR='$dest/usr/lib/pkgconfig:$sys_pc' pkg-config --cflags --libs libmvm) && LD_LIBRARY_PATH='$dest/usr/lib' '$dest/t'"
	echo "MVM-SUITE-END"
} > "$log"
rm -f "$log.out"
awk -v host=install -f "$top/selftests/testhost/summary.awk" "$log"
