// HTML Applications (.hta): run by mshta.exe with the rights of a local
// program, outside the browser's sandbox. No mail needs to carry one.
rule hta_application : dangerous
{
	meta:
		score = 6
		category = "dangerous"
		description = "an HTML Application (HTA:APPLICATION), run by mshta outside the browser sandbox"
	strings:
		$hta = /<hta:application[\s>\/]/ ascii wide nocase
	condition:
		filesize < 5MB and $hta
}
