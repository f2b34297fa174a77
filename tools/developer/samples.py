"""Samples for the tests and benchmarks, made at run time (no key is committed): manifests, keys and tokens for
playback, and a valid player event (the schema in docs/api.md)."""

from __future__ import annotations

from functools import cache
from typing import Any

from cloudfront_token.policy import Token, parse_token, title_resource
from cloudfront_token.signer import Signer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

DOMAIN = "d111111abcdef8.cloudfront.net"
KEY_PAIR_ID = "K2JCJMDEHXQW5F"
TITLE = "title-0042"
EXPIRES_AT = 1_900_000_000

PLAYER_EVENT: dict[str, Any] = {
    "eventId": "0b7e8f7c-3f0e-4a58-9a43-3b1b2c4d5e6f",
    "userId": "u-123",
    "titleId": "t-9",
    "type": "play",
    "positionSec": 12.5,
    "timestamp": "2026-11-26T20:15:00Z",
    "device": "tv",
    "country": "US",
    "bitrateKbps": 4500,
    "rebufferMs": 0,
}


@cache
def private_key() -> rsa.RSAPrivateKey:
    """One RSA-2048 key per test session (generation takes tens of milliseconds)."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey | None = None) -> str:
    return (
        (key or private_key())
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode("ascii")
    )


def signer() -> Signer:
    return Signer(private_key(), KEY_PAIR_ID)


def token(title: str = TITLE, domain: str = DOMAIN, expires_at: int = EXPIRES_AT) -> Token:
    """A real custom-policy token, as a viewer presents it (about 570 characters)."""
    return parse_token(signer().sign_custom(title_resource(domain, title), expires_at).query)


def media_playlist(segments: int, *, duration: float = 4.0, uri: str = "seg-{:05d}.m4s") -> str:
    """A VOD fMP4 media playlist: ``segments`` segments of ``duration`` seconds (1,800 x 4 s = 2 hours)."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        f"#EXT-X-TARGETDURATION:{int(duration)}",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-MAP:URI="init.mp4"',
    ]
    for number in range(segments):
        lines += [f"#EXTINF:{duration:.6f},", uri.format(number)]
    lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def master_playlist() -> str:
    """A master playlist: audio and subtitle renditions, four variants, I-frame playlists, session key."""
    lines = [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        '#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="skd://key-server.example.com/title-0042",KEYFORMAT="com.apple.streamingkeydelivery"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="English",LANGUAGE="en",DEFAULT=YES,URI="audio/en/index.m3u8"',
        '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="aud",NAME="Deutsch",LANGUAGE="de",URI="audio/de/index.m3u8"',
        '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="sub",NAME="English",LANGUAGE="en",URI="subs/en/index.m3u8"',
    ]
    for height, bandwidth in ((360, 800_000), (540, 1_600_000), (720, 3_000_000), (1080, 6_000_000)):
        lines += [
            f"#EXT-X-STREAM-INF:BANDWIDTH={bandwidth},RESOLUTION={height * 16 // 9}x{height},"
            'CODECS="avc1.640028,mp4a.40.2",AUDIO="aud",SUBTITLES="sub"',
            f"{height}p/index.m3u8",
        ]
        lines.append(f'#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH={bandwidth // 10},URI="{height}p/iframes.m3u8"')
    return "\n".join(lines) + "\n"


def segment_list_mpd(segments: int, *, base_url: str | None = None) -> bytes:
    """A static MPD with one Representation and a SegmentList of ``segments`` URLs."""
    base = f"\n        <BaseURL>{base_url}</BaseURL>" if base_url else ""
    urls = "\n".join(f'          <SegmentURL media="video/seg-{number:05d}.m4s"/>' for number in range(segments))
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT{segments * 4}S"
     minBufferTime="PT2S" profiles="urn:mpeg:dash:profile:full:2011">
  <Period id="p0">
    <AdaptationSet mimeType="video/mp4" segmentAlignment="true">
      <Representation id="v1080" bandwidth="6000000" width="1920" height="1080" codecs="avc1.640028">{base}
        <SegmentList timescale="1000" duration="4000">
          <Initialization sourceURL="video/init.mp4"/>
{urls}
        </SegmentList>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
""".encode()


DASH_BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE MPD [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<MPD><BaseURL>&lol9;</BaseURL></MPD>
"""
