// PowerShell that hides what it runs: a base64 -EncodedCommand, or a
// base64 or downloaded string handed to Invoke-Expression. In any
// attachment (.ps1, .txt, .bat, a script inside an archive).
rule powershell_encoded_command : dangerous
{
	meta:
		score = 7
		category = "dangerous"
		description = "a PowerShell command line with a base64 -EncodedCommand"
	strings:
		$ps = "powershell" ascii wide nocase
		$pwsh = "pwsh" ascii wide nocase
		$enc1 = / -e(c|n|nc|nco|ncod|ncode|ncoded|ncodedcommand)? +["']?[A-Za-z0-9+\/]{40}/ ascii wide nocase
		$enc2 = / \/e(c|n|nc|nco|ncod|ncode|ncoded|ncodedcommand)? +["']?[A-Za-z0-9+\/]{40}/ ascii wide nocase
	condition:
		($ps or $pwsh) and any of ($enc*)
}

rule powershell_base64_invoke : dangerous
{
	meta:
		score = 7
		category = "dangerous"
		description = "PowerShell that runs a decoded or downloaded string (FromBase64String or DownloadString with IEX)"
	strings:
		$b64 = "FromBase64String" ascii wide nocase
		$dl1 = "DownloadString" ascii wide nocase
		$dl2 = "DownloadData" ascii wide nocase
		$iex1 = /(^|[^A-Za-z0-9_-])iex[\s(|;$]/ ascii wide nocase
		$iex2 = "Invoke-Expression" ascii wide nocase
	condition:
		any of ($b64, $dl1, $dl2) and any of ($iex*)
}
