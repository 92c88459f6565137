// Disk images (ISO 9660 / UDF) that carry an executable or a shortcut:
// used to get past the mark of the web and attachment filters. Files in
// an ISO start on 2048-byte sectors; the volume descriptors start at
// sector 16 (0x8000), each with "CD001" (or UDF's "BEA01") at offset 1.
private rule iso_image
{
	condition:
		filesize > 0x8800 and
		(uint32(0x8001) == 0x30304443 or uint32(0x8001) == 0x30414542) and
		(uint8(0x8005) == 0x31)
}

rule iso_with_executable : dangerous
{
	meta:
		score = 7
		category = "dangerous"
		description = "a disk image (ISO/UDF) containing a Windows executable (MZ/PE)"
	condition:
		iso_image and
		for any s in (17 .. filesize \ 2048 - 1) : (
			uint16(s * 2048) == 0x5A4D and
			uint32(s * 2048 + 0x3C) < 0x1000 and
			uint32(s * 2048 + uint32(s * 2048 + 0x3C)) == 0x00004550)
}

rule iso_with_shortcut : dangerous
{
	meta:
		score = 7
		category = "dangerous"
		description = "a disk image (ISO/UDF) containing a Windows shortcut (.lnk)"
	condition:
		iso_image and
		for any s in (17 .. filesize \ 2048 - 1) : (
			uint32(s * 2048) == 0x0000004C and uint32(s * 2048 + 4) == 0x00021401 and
			uint32(s * 2048 + 16) == 0x46000000)
}
