"""The national 2023–2026 model `SIPAS-2023` (Decision 1001/QĐ-BNV, 11 Dec 2023): a household survey asked by
enumerators, in two parts, Part I policy implementation (23 items) and Part II public-service provision (16 items),
on the 5-level satisfaction scale; interest in policies, channels, consultation, harassment and extra payments,
filing mode, experiences, 10 expectations on a 4-level scale, profile and a free comment.

Structure from sipas-methodology.md ("Appendix: the national 2023–2026 model"); the Vietnamese wording is the
project's own plain words with the meaning given there. Loaded by surveys/migrations/0013_load_sipas_2023.py.

The index combines the two parts with weights that are a setting of the version (`parts`). The shipped setting
weights each part by its number of items (23 and 16), which is the same as pooling the 39 item indices: it
reproduces the Ministry's published 2024 figures (nation: policy 83.84 and service 84.09 give 83.94; Hà Nội: 86.51
and 86.49 give 86.50), while the plain mean of the two parts would give 83.97 for the nation.
"""

from surveys.methodology.sipas_2017 import SCALE5, _options, _question

YES_NO = [("1", "Có", "Yes"), ("2", "Không", "No")]
INTEREST4 = [
    ("1", "Không quan tâm", "Not interested"),
    ("2", "Khá quan tâm", "Fairly interested"),
    ("3", "Quan tâm", "Interested"),
    ("4", "Rất quan tâm", "Very interested"),
]
SUITABLE4 = [
    ("1", "Không phù hợp", "Not suitable"),
    ("2", "Khá phù hợp", "Fairly suitable"),
    ("3", "Phù hợp", "Suitable"),
    ("4", "Rất phù hợp", "Very suitable"),
]
WANT4 = [
    ("1", "Không mong muốn", "Not wanted"),
    ("2", "Khá mong muốn", "Fairly wanted"),
    ("3", "Mong muốn", "Wanted"),
    ("4", "Rất mong muốn", "Very much wanted"),
]
NONE_SOME_MANY = [("1", "Không có", "None"), ("2", "Có, nhưng ít", "Some"), ("3", "Nhiều", "Many")]

POLICIES = [  # the 9 policies of I.C, also the subjects of the interest questions
    ("phát triển kinh tế ở địa phương", "local economic development"),
    ("khám, chữa bệnh", "medical care"),
    ("giáo dục phổ thông", "general schooling"),
    ("an ninh, trật tự, an toàn xã hội", "public order and safety"),
    ("đường giao thông", "roads"),
    ("điện sinh hoạt", "household electricity"),
    ("nước sạch", "clean water"),
    ("an sinh xã hội", "social security"),
    ("cải cách hành chính", "administrative reform"),
]

PART_I = "I"
PART_II = "II"
FACTORS = [
    ("I_A", PART_I, "Tiếp cận thông tin chính sách", "Information on policies", [
        ("Chính quyền cung cấp, giải thích thông tin về chính sách qua nhiều kênh, dễ tìm",
         "The authorities provide and explain policy information through many channels, easy to find"),
        ("Thông tin về chính sách đầy đủ, dễ hiểu", "The policy information is complete and easy to understand"),
    ]),
    ("I_B", PART_I, "Tham gia vào chính sách", "Participation in policies", [
        ("Có nhiều cách để người dân góp ý khi chính sách đang được xây dựng",
         "There are many ways to comment when a policy is drafted"),
        ("Có nhiều cách để người dân phản ánh về chính sách đang thực hiện",
         "There are many ways to give feedback on a policy in force"),
    ]),
    ("I_C", PART_I, "Kết quả tổ chức thực hiện chính sách", "Implementation of policies", [
        (f"Chính quyền thực hiện tốt chính sách về {vi}", f"The authorities implement well the policy on {en}")
        for vi, en in POLICIES
    ]),
    ("I_D", PART_I, "Kết quả đạt được của chính sách", "Outcomes of policies", [
        ("Kinh tế của hộ gia đình tốt hơn", "The household's economy is better"),
        ("Kinh tế, xã hội ở địa phương tốt hơn", "The local economy and society are better"),
        ("Bệnh viện công tốt hơn", "Public hospitals are better"),
        ("Trường học công tốt hơn", "Public schools are better"),
        ("An ninh, trật tự tốt hơn", "Public order is better"),
        ("Đường giao thông tốt hơn", "Roads are better"),
        ("Điện sinh hoạt tốt hơn", "Household electricity is better"),
        ("Nước sạch tốt hơn", "Clean water is better"),
        ("An sinh xã hội tốt hơn", "Social security is better"),
        ("Năng lực, thái độ của chính quyền và cán bộ, công chức tốt hơn",
         "The competence and conduct of the administration and its servants are better"),
    ]),
    ("II_A", PART_II, "Tiếp cận dịch vụ", "Access to the service", [
        ("Nơi tiếp nhận hồ sơ có biển, chỉ dẫn rõ ràng", "Clear signs and directions at the service point"),
        ("Nơi tiếp nhận có đủ chỗ ngồi, bàn viết", "Enough seats and writing desks"),
        ("Trang thiết bị đầy đủ, tốt", "Sufficient, good equipment"),
    ]),
    ("II_B", PART_II, "Thủ tục hành chính", "Administrative procedures", [
        ("Thủ tục được niêm yết công khai, dễ thấy, dễ đọc", "Procedures are posted publicly, visible and readable"),
        ("Giấy tờ phải nộp đúng quy định", "The documents required are as regulated"),
        ("Phí, lệ phí phải nộp đúng quy định", "The fees are as regulated"),
        ("Thời gian giải quyết đúng quy định", "The processing time is as regulated"),
    ]),
    ("II_C", PART_II, "Công chức giải quyết thủ tục", "Civil servants", [
        ("Công chức lịch sự, tôn trọng người dân", "Civil servants are polite and respectful"),
        ("Công chức hướng dẫn dễ hiểu, đầy đủ ngay một lần", "The guidance is easy to understand and complete at once"),
        ("Công chức làm đúng quy định khi giải quyết hồ sơ", "Civil servants follow the rules when handling the case"),
    ]),
    ("II_D", PART_II, "Kết quả giải quyết", "Results", [
        ("Kết quả được trả đúng ngày hẹn", "The result is returned on the promised date"),
        ("Kết quả đầy đủ, chính xác", "The result is complete and accurate"),
        ("Kết quả công bằng", "The result is fair"),
    ]),
    ("II_E", PART_II, "Tiếp nhận, xử lý góp ý, phản ánh", "Feedback", [
        ("Có cách dễ dàng để góp ý, phản ánh", "There are easy ways to give feedback"),
        ("Góp ý, phản ánh được tiếp nhận, xử lý đúng quy định", "Feedback is received and handled as regulated"),
        ("Kết quả xử lý góp ý, phản ánh được thông báo kịp thời", "The outcome of feedback is reported back in time"),
    ]),
]  # fmt: skip

CHANNELS = [
    ("1", "Loa truyền thanh của xã, phường", "Commune loudspeakers"),
    ("2", "Họp tổ dân phố, thôn, bản", "Residential meetings"),
    ("3", "Cán bộ xã, thôn", "Officials"),
    ("4", "Gia đình, bạn bè", "Family and friends"),
    ("5", "Đài, truyền hình, báo chí", "Radio, TV and the press"),
    ("6", "Internet, mạng xã hội", "Internet and social networks"),
    ("7", "Kênh khác", "Other"),
]
EXPECTATIONS = [
    ("Minh bạch hơn", "More transparency"),
    ("Trách nhiệm giải trình cao hơn", "More accountability"),
    ("Người dân được giám sát nhiều hơn", "More citizen oversight"),
    ("Chính quyền địa phương hiệu quả hơn", "More effective local government"),
    ("Cơ sở vật chất tốt hơn", "Better facilities"),
    ("Công chức có năng lực hơn", "More competent civil servants"),
    ("Thái độ phục vụ tốt hơn", "Better attitude"),
    ("Ứng dụng công nghệ thông tin, chuyển đổi số nhiều hơn", "More IT and digital transformation"),
    ("Dịch vụ công trực tuyến tốt hơn", "Better online public services"),
    ("Xử lý góp ý, phản ánh tốt hơn", "Better handling of feedback"),
]
EXPERIENCES = [
    ("Trong gia đình có người đang học ở trường công", "A family member studies at a public school"),
    ("Gia đình có người khám, chữa bệnh ở bệnh viện công", "A family member was treated at a public hospital"),
    ("Đã làm thủ tục tại Trung tâm Phục vụ hành chính công của tỉnh",
     "Did a procedure at the provincial public-service centre"),
    ("Đã làm thủ tục tại Bộ phận Một cửa của xã, phường", "Did a procedure at the commune service point"),
    ("Đã hỏi cán bộ, công chức về chính sách hoặc thủ tục", "Asked officials about a policy or a procedure"),
    ("Đã tham gia đánh giá chính quyền, cơ quan hành chính", "Took part in an assessment"),
    ("Đã gửi góp ý, phản ánh", "Sent feedback or a complaint"),
]  # fmt: skip

WEIGHTS_NOTE = (
    "Trọng số mỗi phần bằng số tiêu chí của phần đó (Phần I: 23, Phần II: 16), tức là chỉ số chung bằng trung bình "
    "của 39 chỉ số tiêu chí. Quy tắc này tái lập các số liệu Bộ Nội vụ công bố năm 2024 (cả nước: 83,84 và 84,09 "
    "cho 83,94; Hà Nội: 86,51 và 86,49 cho 86,50). Cán bộ Sở Nội vụ đối chiếu với văn bản Quyết định "
    "1001/QĐ-BNV và xác nhận trọng số trước khi công bố kết quả một đợt khảo sát dùng phiên bản này. / "
    "Each part is weighted by its number of items (Part I: 23, Part II: 16), i.e. the index is the mean of the 39 "
    "item indices. This rule reproduces the Ministry's published 2024 figures (nation: 83.84 and 84.09 give 83.94; "
    "Hà Nội: 86.51 and 86.49 give 86.50). A Home Affairs officer checks it against the text of Decision "
    "1001/QĐ-BNV and confirms the weights before the results of a campaign on this version are published."
)


def definition() -> dict:
    questions = []
    for factor, _part, _name, _name_en, items in FACTORS:
        for number, (text, text_en) in enumerate(items, start=1):
            questions.append(_question(f"{factor}{number}", "scale5", text, text_en, "criterion", factor=factor))
    single = "single"
    questions += [
        _question(f"QT{i}", single, f"Mức độ quan tâm của Ông/Bà đến chính sách về {vi}",
                  f"How interested are you in the policy on {en}?", "fact", options=INTEREST4, section="interest")
        for i, (vi, en) in enumerate(POLICIES, start=1)
    ]  # fmt: skip
    questions.append(
        _question("KT", "multi", "Gia đình Ông/Bà theo dõi thông tin về chính sách qua những kênh nào?",
                  "Through which channels does your household follow policies?", "fact", options=CHANNELS,
                  section="channels")
    )  # fmt: skip
    questions += [
        _question(f"KT_PH{code}", single, f"Kênh “{vi}” phù hợp thế nào với gia đình Ông/Bà?",
                  f"How suitable is the channel “{en}” for your household?", "fact", options=SUITABLE4,
                  section="channels")
        for code, vi, en in CHANNELS
    ]  # fmt: skip
    questions += [
        _question("TG", single, "Ông/Bà sẵn sàng tham gia góp ý chính sách theo hình thức nào nhất?",
                  "In which form would you most readily take part in a consultation on a policy?", "fact",
                  options=[("1", "Họp trực tiếp", "A meeting in person"), ("2", "Góp ý bằng văn bản", "In writing"),
                           ("3", "Góp ý trực tuyến", "Online"), ("4", "Không tham gia", "I would not take part")],
                  section="participation"),
        _question("NK", single, "Khi làm thủ tục, Ông/Bà có gặp công chức gây phiền hà, nhũng nhiễu không?",
                  "When filing, did civil servants harass you?", "fact", options=NONE_SOME_MANY, section="integrity"),
        _question("CP", single, "Ông/Bà có phải trả thêm tiền ngoài phí, lệ phí theo quy định không?",
                  "Did you pay anything beyond the regulated fees?", "fact", options=NONE_SOME_MANY,
                  section="integrity"),
        _question("HS", single, "Ông/Bà nộp hồ sơ và nhận kết quả theo hình thức nào?",
                  "How did you file the dossier and collect the result?", "fact",
                  options=[("1", "Trực tiếp", "In person"), ("2", "Trực tuyến toàn trình", "Fully online"),
                           ("3", "Trực tuyến một phần", "Partly online")], section="filing"),
        _question("HS_PH", single, "Hình thức đó phù hợp thế nào với Ông/Bà?", "How suitable was that for you?",
                  "fact", options=SUITABLE4, section="filing", shown_if={"question": "HS", "values": ["1", "2", "3"]}),
    ]  # fmt: skip
    questions += [
        _question(f"TN{i}", "yes_no", vi, en, "fact", options=YES_NO, section="experiences")
        for i, (vi, en) in enumerate(EXPERIENCES, start=1)
    ]
    questions += [
        _question(f"MD{i}", single, f"Ông/Bà mong muốn thế nào về: {vi.lower()}", f"How much do you want: {en.lower()}",
                  "needs", options=WANT4, section="expectations")
        for i, (vi, en) in enumerate(EXPECTATIONS, start=1)
    ]  # fmt: skip
    questions += [
        _question("GT", single, "Giới tính", "Gender", "profile",
                  options=[("1", "Nam", "Male"), ("2", "Nữ", "Female"), ("3", "Khác", "Other")], section="profile"),
        _question("DT", single, "Dân tộc", "Ethnic group", "profile",
                  options=[("1", "Kinh", "Kinh"), ("2", "Dân tộc khác", "Other")], section="profile"),
        _question("TUOI", single, "Độ tuổi", "Age", "profile",
                  options=[("1", "18–25", "18–25"), ("2", "26–34", "26–34"), ("3", "35–49", "35–49"),
                           ("4", "50–60", "50–60"), ("5", "Trên 60", "Over 60")], section="profile"),
        _question("HV", single, "Trình độ học vấn", "Education", "profile",
                  options=[("1", "Tiểu học trở xuống", "Primary or less"), ("2", "Trung học cơ sở", "Lower secondary"),
                           ("3", "Trung học phổ thông", "Upper secondary"),
                           ("4", "Trung cấp, cao đẳng", "Vocational, college"), ("5", "Đại học trở lên", "University")],
                  section="profile"),
        _question("NN", single, "Nghề nghiệp", "Occupation", "profile",
                  options=[("1", "Cán bộ, công chức, viên chức", "Public employee"), ("2", "Công nhân", "Worker"),
                           ("3", "Nông dân", "Farmer"), ("4", "Kinh doanh, buôn bán", "Business, trade"),
                           ("5", "Học sinh, sinh viên", "Student"), ("6", "Hưu trí", "Retired"), ("7", "Khác", "Other")],
                  section="profile"),
        _question("YK", "text", "Ý kiến khác của Ông/Bà", "Other comments", "comment", section="comment"),
    ]  # fmt: skip
    lists = {"interest4": INTEREST4, "suitable4": SUITABLE4, "want4": WANT4, "none_some_many": NONE_SOME_MANY}
    for question in questions:
        for name, items in lists.items():
            if question["options"] == _options(items):
                question["choice_list"] = name
    items = {part: sum(len(f[4]) for f in FACTORS if f[1] == part) for part in (PART_I, PART_II)}
    return {
        "code": "SIPAS-2023",
        "name": "SIPAS 2023–2026 (Quyết định 1001/QĐ-BNV): thực thi chính sách và cung ứng dịch vụ công",
        "name_en": "SIPAS 2023–2026 (Decision 1001/QĐ-BNV): policy implementation and public-service provision",
        "scoring": "share-positive",
        "positive_min": 4,
        "scale": _options(SCALE5),
        "index_rule": "parts",
        "parts": [
            {
                "code": PART_I,
                "name": "Phần I. Thực thi chính sách",
                "name_en": "Part I. Policy implementation",
                "weight": items[PART_I],
            },
            {
                "code": PART_II,
                "name": "Phần II. Cung ứng dịch vụ công",
                "name_en": "Part II. Public-service provision",
                "weight": items[PART_II],
            },
        ],
        "weights_note": WEIGHTS_NOTE,
        "sections": [
            {"code": "interest", "title": "Mức độ quan tâm đến chính sách", "title_en": "Interest in policies"},
            {"code": "channels", "title": "Kênh thông tin về chính sách", "title_en": "Channels of information"},
            {"code": "participation", "title": "Tham gia góp ý chính sách", "title_en": "Taking part in consultations"},
            {"code": "integrity", "title": "Phiền hà, nhũng nhiễu", "title_en": "Harassment and extra payments"},
            {"code": "filing", "title": "Hình thức nộp hồ sơ", "title_en": "How the dossier was filed"},
            {"code": "experiences", "title": "Trải nghiệm của gia đình", "title_en": "Your household's experiences"},
            {"code": "expectations", "title": "Mong đợi", "title_en": "Expectations"},
            {"code": "profile", "title": "Thông tin về Ông/Bà (không bắt buộc)", "title_en": "About you (optional)"},
            {"code": "comment", "title": "Ý kiến khác", "title_en": "Your comments"},
        ],
        "factors": [{"code": c, "name": n, "name_en": e, "part": p} for c, p, n, e, _ in FACTORS],
        "questions": questions,
    }
