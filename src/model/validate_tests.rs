use super::*;

fn generate(prompt: &str) -> GenerateRequest {
    GenerateRequest {
        prompt: Some(prompt.into()),
        ..GenerateRequest::default()
    }
}

fn rules(issues: &[Issue]) -> Vec<(&str, &str)> {
    issues
        .iter()
        .map(|i| (i.field.as_str(), i.rule.as_str()))
        .collect()
}

#[test]
fn prompt_length_bounds_are_inclusive_and_count_characters() {
    let luma = ProviderKind::Luma;
    assert_eq!(
        rules(&validate_generate(&generate("ab"), luma)),
        [("prompt", "min_length")]
    );
    assert!(validate_generate(&generate("abc"), luma).is_empty());
    assert!(validate_generate(&generate(&"é".repeat(5000)), luma).is_empty());
    assert_eq!(
        rules(&validate_generate(&generate(&"é".repeat(5001)), luma)),
        [("prompt", "max_length")]
    );
    // APIFRAME and gptge publish no bounds: any non-empty prompt is accepted.
    assert!(validate_generate(&generate("ab"), ProviderKind::Apiframe).is_empty());
}

#[test]
fn prompt_is_optional_with_an_image_keyframe_only_where_the_protocol_allows() {
    let req = GenerateRequest {
        keyframes: Some(Keyframes {
            frame0: Some(Keyframe::Image {
                url: "https://x.test/a.png".into(),
            }),
            frame1: None,
        }),
        ..GenerateRequest::default()
    };
    assert!(validate_generate(&req, ProviderKind::Luma).is_empty());
    assert_eq!(
        rules(&validate_generate(&req, ProviderKind::Aimlapi)),
        [("prompt", "required")]
    );
}

#[test]
fn urls_must_be_https_or_loopback_http_or_data_where_accepted() {
    for ok in [
        "https://a.test/x.png",
        "http://127.0.0.1:9/x",
        "http://localhost/x",
        "http://[::1]:80/x",
        "HTTPS://A.TEST",
    ] {
        assert_eq!(check_url("image", ok, false), None, "{ok}");
    }
    for bad in [
        "http://example.com/x",
        "http://127.0.0.1.evil.test/x",
        "http://localhost.evil.test",
        "ftp://a",
        "https://",
        "javascript:alert(1)",
        "data:image/png;base64,AA",
    ] {
        assert!(check_url("image", bad, false).is_some(), "{bad}");
    }
    assert_eq!(check_url("image", "data:image/png;base64,AA", true), None);
    assert!(check_url("image", "http://user@127.0.0.1@evil.test/", false).is_some());
}

#[test]
fn uuids() {
    assert!(is_uuid("0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9"));
    assert!(is_uuid("0F3EA4AA-10E7-4DAE-AF0B-263AB4AC45F9"));
    for bad in [
        "",
        "0f3ea4aa10e74dae",
        "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f",
        "0f3ea4aa-10e7-4dae-af0b-263ab4ac45fz",
        "xxxxxxxxxx",
    ] {
        assert!(!is_uuid(bad), "{bad}");
    }
}

#[test]
fn extension_capabilities() {
    let back = ExtendRequest {
        generation_id: "0f3ea4aa-10e7-4dae-af0b-263ab4ac45f9".into(),
        prompt: "before it all".into(),
        direction: Some(Direction::Backward),
        image: Some("https://x.test/a.png".into()),
        ..ExtendRequest::default()
    };
    assert!(validate_extend(&back, ProviderKind::Luma).is_empty());
    assert!(validate_extend(&back, ProviderKind::Aimlapi).is_empty());
    for kind in [ProviderKind::Apiframe, ProviderKind::Gptge] {
        assert_eq!(
            rules(&validate_extend(&back, kind)),
            [("direction", "unsupported")],
            "{kind:?}"
        );
    }
    // Opaque ids are fine where the id never goes into a keyframe.
    let opaque = ExtendRequest {
        generation_id: "task:42".into(),
        prompt: "more".into(),
        ..ExtendRequest::default()
    };
    assert!(validate_extend(&opaque, ProviderKind::Gptge).is_empty());
    assert_eq!(
        rules(&validate_extend(&opaque, ProviderKind::Luma)),
        [("generationId", "uuid")]
    );
}

#[test]
fn each_protocol_checks_its_own_value_sets() {
    let with = |aspect: &str, resolution: &str| GenerateRequest {
        aspect_ratio: Some(AspectRatio::parse(aspect)),
        resolution: Some(resolution.into()),
        ..generate("A calm sea")
    };
    let (luma, agents) = (ProviderKind::Luma, ProviderKind::LumaAgents);
    assert!(validate_generate(&with("9:21", "4k"), luma).is_empty());
    assert_eq!(
        rules(&validate_generate(&with("9:21", "4k"), agents)),
        [("aspectRatio", "one_of"), ("resolution", "one_of")]
    );
    assert!(validate_generate(&with("3:2", "360p"), agents).is_empty());
    assert_eq!(
        rules(&validate_generate(&with("3:2", "360p"), luma)),
        [("aspectRatio", "one_of"), ("resolution", "one_of")]
    );
}
