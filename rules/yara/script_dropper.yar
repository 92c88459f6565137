// VBScript and JScript (Windows Script Host) droppers: a shell object
// that runs a command together with an object that downloads or writes a
// file. Legitimate scripts rarely travel by mail; ones doing both never.
rule wsh_download_and_run : dangerous
{
	meta:
		score = 7
		category = "dangerous"
		description = "a VBScript or JScript that downloads or writes a file and runs a command (WScript.Shell)"
	strings:
		$shell = "WScript.Shell" ascii wide nocase
		$app = "Shell.Application" ascii wide nocase
		$run = /\.(Run|Exec|ShellExecute)\s*[( ]/ ascii wide nocase
		$http1 = "MSXML2.XMLHTTP" ascii wide nocase
		$http2 = "Microsoft.XMLHTTP" ascii wide nocase
		$http3 = "WinHttp.WinHttpRequest" ascii wide nocase
		$http4 = "MSXML2.ServerXMLHTTP" ascii wide nocase
		$stream = "ADODB.Stream" ascii wide nocase
		$urlmon = "URLDownloadToFile" ascii wide nocase
		$bits = "bitsadmin" ascii wide nocase
		$certutil = /certutil(\.exe)?\s+[^\r\n]{0,40}-urlcache/ ascii wide nocase
	condition:
		filesize < 5MB and ($shell or $app) and $run and
		any of ($http*, $stream, $urlmon, $bits, $certutil)
}
