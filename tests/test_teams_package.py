"""`python -m bot teams-package` writes a zip Teams accepts: the manifest and two icons of
the right sizes at its root."""

from __future__ import annotations

import json
import struct
import zipfile
import zlib

from bot.__main__ import main

APP_ID = "0b6c1f3e-8a4d-4c7b-9e2f-5d1a2b3c4d5e"


def png_size_and_pixels(data: bytes) -> tuple[int, int, bytes]:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour_type) == (8, 6)  # 8-bit RGBA
    idat = b""
    at = 8
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        if kind == b"IDAT":
            idat += data[at + 8 : at + 8 + length]
        at += 12 + length
    return width, height, zlib.decompress(idat)


def test_package_has_manifest_and_icons(tmp_path, capsys) -> None:
    out = tmp_path / "badgebot-teams.zip"
    assert main(["teams-package", "--app-id", APP_ID, "--domain", "bot.acme.example",
                 "--out", str(out)]) == 0  # fmt: skip
    assert str(out) in capsys.readouterr().out
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        colour = png_size_and_pixels(package.read("color.png"))
        outline = png_size_and_pixels(package.read("outline.png"))

    assert tuple(int(p) for p in manifest["manifestVersion"].split(".")) >= (1, 17)
    assert manifest["$schema"].endswith(
        f"/v{manifest['manifestVersion']}/MicrosoftTeams.schema.json"
    )
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID and set(bot["scopes"]) == {"personal", "team", "groupChat"}
    assert bot["supportsFiles"] is True  # else Teams never shows the export's consent card
    titles = {c["title"] for c in bot["commandLists"][0]["commands"]}
    assert {"give", "list", "pending", "help", "home"} <= titles
    [extension] = manifest["composeExtensions"]
    [command] = extension["commands"]
    assert command["type"] == "action" and command["fetchTask"] is True
    assert set(command["context"]) == {"compose", "commandBox", "message"}
    assert manifest["validDomains"] == ["bot.acme.example"]
    assert manifest["webApplicationInfo"] == {"id": APP_ID, "resource": f"api://botid-{APP_ID}"}
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}

    assert colour[:2] == (192, 192)
    assert outline[:2] == (32, 32)
    # The outline is white on transparency: every pixel is either clear or opaque white.
    rows = [outline[2][r * 129 + 1 : (r + 1) * 129] for r in range(32)]
    pixels = {bytes(row[i : i + 4]) for row in rows for i in range(0, 128, 4)}
    assert pixels == {b"\x00\x00\x00\x00", b"\xff\xff\xff\xff"}


def test_package_refuses_a_bad_app_id_or_domain(tmp_path, capsys) -> None:
    out = tmp_path / "p.zip"
    assert main(["teams-package", "--app-id", "not-a-guid", "--domain", "a.example",
                 "--out", str(out)]) == 2  # fmt: skip
    assert "--app-id must be the bot's Microsoft App ID" in capsys.readouterr().err
    assert main(["teams-package", "--app-id", APP_ID, "--domain", "https://a.example/x",
                 "--out", str(out)]) == 2  # fmt: skip
    assert "--domain must be a host name" in capsys.readouterr().err
    assert not out.exists()
