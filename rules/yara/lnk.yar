// Windows shortcuts (.lnk) that start a command interpreter or a script
// host: the usual first stage of mail-borne malware since Office macros
// are blocked by default. Shell link header: MS-SHLLINK 2.1.
rule lnk_launches_interpreter : dangerous
{
	meta:
		score = 7
		category = "dangerous"
		description = "a Windows shortcut that starts cmd, PowerShell, mshta or a script host"
	strings:
		$cmd = "cmd.exe" ascii wide nocase
		$ps = "powershell" ascii wide nocase
		$pwsh = "pwsh.exe" ascii wide nocase
		$mshta = "mshta" ascii wide nocase
		$wscript = "wscript" ascii wide nocase
		$cscript = "cscript" ascii wide nocase
		$rundll = "rundll32" ascii wide nocase
		$regsvr = "regsvr32" ascii wide nocase
		$certutil = "certutil" ascii wide nocase
		$bits = "bitsadmin" ascii wide nocase
		$msiexec = "msiexec" ascii wide nocase
	condition:
		uint32(0) == 0x0000004C and uint32(4) == 0x00021401 and
		uint32(8) == 0 and uint32(12) == 0x000000C0 and uint32(16) == 0x46000000 and
		any of them
}
